//! The video every succeeded task serves: a real, playable H.264 MP4 clip
//! embedded in the binary, grown to the size the knobs ask for without ever
//! stopping being a valid MP4.
//!
//! A video of `size` bytes is the clip with its last box, `mdat`, declared
//! `size − CLIP.len()` bytes longer, followed by that many filler bytes: the
//! sample tables point at the clip's frames only, so players skip the rest.
//! Past what a 32-bit `mdat` size holds (4 GiB), the clip stays as it is and a
//! `free` box with a 64-bit size carries the filler instead.

/// The embedded clip: 1 second of ffmpeg's `testsrc` pattern, 160×120, 10 fps,
/// H.264 (High profile, yuv420p), `moov` before `mdat`; 5,353 bytes.
///
/// Made with Debian 12's ffmpeg 5.1 by
///
/// ```sh
/// ffmpeg -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -c:v libx264 \
///   -pix_fmt yuv420p -movflags +faststart -fflags +bitexact clip.mp4
/// ```
///
/// (`+bitexact` keeps the muxer's version out, so the command makes the same
/// bytes again); `ffprobe` reads it as 10 H.264 frames over 1.000 s, and
/// `ffmpeg -v error -i clip.mp4 -f null -` decodes it without a message, padded
/// or not.
pub const CLIP: &[u8] = include_bytes!("assets/clip.mp4");

/// Where the clip's last top-level box, its `mdat`, starts (checked when compiling).
const MDAT_AT: usize = last_box(CLIP);

/// The offset of the last top-level box of an MP4 file whose boxes all have
/// 32-bit sizes and whose last box is `mdat`; anything else fails to compile.
const fn last_box(bytes: &[u8]) -> usize {
    let mut at = 0;
    loop {
        assert!(at + 8 <= bytes.len(), "the clip's boxes are cut short");
        let size =
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        assert!(size >= 8, "the clip has a box with a 64-bit or open size");
        if at + size == bytes.len() {
            let kind = [bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]];
            assert!(
                kind[0] == b'm' && kind[1] == b'd' && kind[2] == b'a' && kind[3] == b't',
                "the clip's last box is not mdat"
            );
            return at;
        }
        assert!(at + size < bytes.len(), "a box of the clip overruns it");
        at += size;
    }
}

/// The size of a served video for the `video_bytes` knob: the knob, but never
/// less than the clip (a smaller video could not be a playable one).
pub fn video_size(requested: u64) -> u64 {
    requested.max(CLIP.len() as u64)
}

/// The bytes a video of `size` bytes starts with, all that is not filler: the
/// clip with its `mdat` grown, or the clip and the header of a 64-bit `free`
/// box. `size` below the clip's length gives the clip.
pub(crate) fn header(size: u64) -> Vec<u8> {
    let mut header = CLIP.to_vec();
    let filler = size.saturating_sub(CLIP.len() as u64);
    let mdat = (CLIP.len() - MDAT_AT) as u64;
    match u32::try_from(mdat + filler) {
        Ok(grown) => header[MDAT_AT..MDAT_AT + 4].copy_from_slice(&grown.to_be_bytes()),
        Err(_) => {
            // Size 1: the real size follows the type as 64 bits, header included.
            header.extend_from_slice(&1u32.to_be_bytes());
            header.extend_from_slice(b"free");
            header.extend_from_slice(&filler.to_be_bytes());
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_at(bytes: &[u8], at: usize) -> u64 {
        u64::from(u32::from_be_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    }

    #[test]
    fn the_clip_is_ftyp_moov_then_mdat() {
        assert_eq!(&CLIP[4..8], b"ftyp");
        assert_eq!(&CLIP[MDAT_AT + 4..MDAT_AT + 8], b"mdat");
        assert_eq!(video_size(0), CLIP.len() as u64);
        assert_eq!(video_size(1 << 20), 1 << 20);
        assert_eq!(header(0), CLIP);
        assert_eq!(header(CLIP.len() as u64), CLIP);
    }

    #[test]
    fn a_larger_video_grows_the_mdat_to_the_end() {
        for extra in [1u64, 7, 8, 100_000] {
            let size = CLIP.len() as u64 + extra;
            let h = header(size);
            assert_eq!(h.len(), CLIP.len(), "only the size changes");
            assert_eq!(MDAT_AT as u64 + size_at(&h, MDAT_AT), size);
            assert_eq!(h[..MDAT_AT], CLIP[..MDAT_AT]);
            assert_eq!(h[MDAT_AT + 4..], CLIP[MDAT_AT + 4..]);
        }
    }

    #[test]
    fn a_video_over_4_gib_carries_its_filler_in_a_64_bit_free_box() {
        let size = 5 * 1024 * 1024 * 1024;
        let h = header(size);
        assert_eq!(&h[..CLIP.len()], CLIP, "the clip stays as it is");
        let free = &h[CLIP.len()..];
        assert_eq!(free.len(), 16);
        assert_eq!(&free[..8], &[0, 0, 0, 1, b'f', b'r', b'e', b'e']);
        let declared = u64::from_be_bytes(free[8..16].try_into().unwrap());
        assert_eq!(CLIP.len() as u64 + declared, size);
    }
}
