//! An MP4 (ISO BMFF) reader for the tests, independent of genworker's code: it
//! walks the box tree of a file's bytes and checks what makes it a playable
//! H.264 video: `ftyp`, `moov` with a video track (`trak` → `mdia` → `hdlr` of
//! type `vide`, `stbl` → `stsd` → an `avc1` sample entry with its `avcC`), and
//! every sample of that track inside `mdat`, the first one an IDR picture.

/// One box: its type and body (the bytes after its header), and where its body
/// starts in the whole file.
#[derive(Debug, Clone, Copy)]
pub struct Mp4Box<'a> {
    pub kind: [u8; 4],
    pub body: &'a [u8],
    pub body_at: usize,
}

/// What the checker read from a playable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H264Video {
    pub width: u16,
    pub height: u16,
    pub samples: usize,
    /// The movie's duration in milliseconds (`mvhd`).
    pub duration_ms: u64,
}

fn be(bytes: &[u8], at: usize, len: usize) -> Result<u64, String> {
    let field = bytes.get(at..at + len).ok_or_else(|| {
        format!(
            "a {len}-byte field at {at} is past the end ({})",
            bytes.len()
        )
    })?;
    Ok(field.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
}

/// The boxes laid one after the other in `bytes`, which start at `base` in the file.
pub fn boxes(bytes: &[u8], base: usize) -> Result<Vec<Mp4Box<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let size = be(bytes, at, 4)?;
        let kind: [u8; 4] = bytes
            .get(at + 4..at + 8)
            .ok_or("a box header is cut")?
            .try_into()
            .map_err(|_| "a box type is cut")?;
        let (header, size) = match size {
            0 => (8, (bytes.len() - at) as u64),
            1 => (16, be(bytes, at + 8, 8)?),
            n => (8, n),
        };
        let size = usize::try_from(size).map_err(|_| "a box too large")?;
        let name = String::from_utf8_lossy(&kind).into_owned();
        if size < header || at + size > bytes.len() {
            return Err(format!(
                "box `{name}` at {} declares {size} bytes, {} remain",
                base + at,
                bytes.len() - at
            ));
        }
        out.push(Mp4Box {
            kind,
            body: &bytes[at + header..at + size],
            body_at: base + at + header,
        });
        at += size;
    }
    Ok(out)
}

/// The children of a container box (`moov`, `trak`, …).
pub fn children<'a>(parent: &Mp4Box<'a>) -> Result<Vec<Mp4Box<'a>>, String> {
    boxes(parent.body, parent.body_at)
}

/// The one child of type `kind`.
pub fn child<'a>(parent: &Mp4Box<'a>, kind: &[u8; 4]) -> Result<Mp4Box<'a>, String> {
    children(parent)?
        .into_iter()
        .find(|b| &b.kind == kind)
        .ok_or_else(|| {
            format!(
                "no `{}` in `{}`",
                String::from_utf8_lossy(kind),
                String::from_utf8_lossy(&parent.kind)
            )
        })
}

/// Follows a path of container boxes down from `top`.
fn path<'a>(top: &Mp4Box<'a>, kinds: &[&[u8; 4]]) -> Result<Mp4Box<'a>, String> {
    kinds
        .iter()
        .try_fold(*top, |parent, kind| child(&parent, kind))
}

/// Checks that `bytes` are a playable H.264 MP4 file and says what it holds.
pub fn check_h264(bytes: &[u8]) -> Result<H264Video, String> {
    let top = boxes(bytes, 0)?;
    let kinds: Vec<String> = top
        .iter()
        .map(|b| String::from_utf8_lossy(&b.kind).into_owned())
        .collect();
    if kinds.first().map(String::as_str) != Some("ftyp") {
        return Err(format!("the first box is not ftyp: {kinds:?}"));
    }
    let find = |kind: &[u8; 4]| {
        top.iter()
            .find(|b| &b.kind == kind)
            .copied()
            .ok_or_else(|| {
                format!(
                    "no top-level `{}`: {kinds:?}",
                    String::from_utf8_lossy(kind)
                )
            })
    };
    let (moov, mdat) = (find(b"moov")?, find(b"mdat")?);
    let mvhd = child(&moov, b"mvhd")?;
    let duration_ms = if mvhd.body.first() == Some(&1) {
        be(mvhd.body, 24, 8)? * 1000 / be(mvhd.body, 20, 4)?.max(1)
    } else {
        be(mvhd.body, 16, 4)? * 1000 / be(mvhd.body, 12, 4)?.max(1)
    };
    let video = children(&moov)?
        .into_iter()
        .filter(|b| &b.kind == b"trak")
        .find(|trak| {
            path(trak, &[b"mdia", b"hdlr"]).is_ok_and(|hdlr| hdlr.body.get(8..12) == Some(b"vide"))
        })
        .ok_or("no trak whose hdlr is `vide`")?;
    let stbl = path(&video, &[b"mdia", b"minf", b"stbl"])?;
    let stsd = child(&stbl, b"stsd")?;
    let entries = boxes(stsd.body.get(8..).ok_or("stsd is cut")?, stsd.body_at + 8)?;
    let avc1 = entries
        .iter()
        .find(|b| &b.kind == b"avc1")
        .ok_or("no avc1 sample entry in stsd")?;
    let (width, height) = (be(avc1.body, 24, 2)? as u16, be(avc1.body, 26, 2)? as u16);
    // A visual sample entry's fields take 78 bytes; its boxes follow.
    let avc1_boxes = boxes(avc1.body.get(78..).ok_or("avc1 is cut")?, avc1.body_at + 78)?;
    let avcc = avc1_boxes
        .iter()
        .find(|b| &b.kind == b"avcC")
        .ok_or("no avcC in the avc1 entry")?;
    let length_size = check_avcc(avcc.body)?;
    let ranges = sample_ranges(&stbl)?;
    let mdat_range = mdat.body_at..mdat.body_at + mdat.body.len();
    for (n, range) in ranges.iter().enumerate() {
        if range.start < mdat_range.start || range.end > mdat_range.end {
            return Err(format!(
                "sample {n} at {range:?} is outside mdat {mdat_range:?}"
            ));
        }
    }
    let first = ranges.first().ok_or("the video track has no sample")?;
    let nal_types = nal_types(&bytes[first.clone()], length_size)?;
    if !nal_types.contains(&5) {
        return Err(format!(
            "the first sample holds no IDR picture: NAL types {nal_types:?}"
        ));
    }
    Ok(H264Video {
        width,
        height,
        samples: ranges.len(),
        duration_ms,
    })
}

/// Checks an `avcC` body (one SPS, one PPS at least) and returns its NAL length size.
fn check_avcc(body: &[u8]) -> Result<usize, String> {
    if be(body, 0, 1)? != 1 {
        return Err("avcC configurationVersion is not 1".into());
    }
    let length_size = (be(body, 4, 1)? & 3) as usize + 1;
    let mut at = 5;
    for (what, nal_type, mask) in [("SPS", 7, 0x1f), ("PPS", 8, 0xff)] {
        let count = be(body, at, 1)? & mask;
        at += 1;
        if count == 0 {
            return Err(format!("avcC has no {what}"));
        }
        for _ in 0..count {
            let len = be(body, at, 2)? as usize;
            if be(body, at + 2, 1)? & 0x1f != nal_type {
                return Err(format!("avcC's {what} is not NAL type {nal_type}"));
            }
            at += 2 + len;
        }
    }
    if at > body.len() {
        return Err("avcC is cut".into());
    }
    Ok(length_size)
}

/// Every sample's byte range in the file, from `stsz`, `stsc` and `stco`/`co64`.
fn sample_ranges(stbl: &Mp4Box<'_>) -> Result<Vec<std::ops::Range<usize>>, String> {
    let stsz = child(stbl, b"stsz")?;
    let (fixed, count) = (be(stsz.body, 4, 4)?, be(stsz.body, 8, 4)? as usize);
    let sizes: Vec<usize> = (0..count)
        .map(|i| match fixed {
            0 => be(stsz.body, 12 + 4 * i, 4).map(|s| s as usize),
            size => Ok(size as usize),
        })
        .collect::<Result<_, _>>()?;
    let offsets: Vec<usize> = match child(stbl, b"stco") {
        Ok(stco) => (0..be(stco.body, 4, 4)? as usize)
            .map(|i| be(stco.body, 8 + 4 * i, 4).map(|o| o as usize))
            .collect::<Result<_, _>>()?,
        Err(_) => {
            let co64 = child(stbl, b"co64")?;
            (0..be(co64.body, 4, 4)? as usize)
                .map(|i| be(co64.body, 8 + 8 * i, 8).map(|o| o as usize))
                .collect::<Result<_, _>>()?
        }
    };
    let stsc = child(stbl, b"stsc")?;
    let runs: Vec<(usize, usize)> = (0..be(stsc.body, 4, 4)? as usize)
        .map(|i| {
            Ok((
                be(stsc.body, 8 + 12 * i, 4)? as usize,
                be(stsc.body, 12 + 12 * i, 4)? as usize,
            ))
        })
        .collect::<Result<_, String>>()?;
    let mut ranges = Vec::with_capacity(count);
    for (index, offset) in offsets.iter().enumerate() {
        let chunk = index + 1;
        let per_chunk = runs
            .iter()
            .rev()
            .find(|(first, _)| *first <= chunk)
            .map(|(_, n)| *n)
            .ok_or("stsc covers no chunk")?;
        let mut at = *offset;
        for _ in 0..per_chunk {
            let size = *sizes
                .get(ranges.len())
                .ok_or("more samples in chunks than in stsz")?;
            ranges.push(at..at + size);
            at += size;
        }
    }
    if ranges.len() != count {
        return Err(format!(
            "chunks hold {} samples, stsz {count}",
            ranges.len()
        ));
    }
    Ok(ranges)
}

/// The NAL unit types of one length-prefixed H.264 sample.
fn nal_types(sample: &[u8], length_size: usize) -> Result<Vec<u8>, String> {
    let mut types = Vec::new();
    let mut at = 0;
    while at < sample.len() {
        let len = be(sample, at, length_size)? as usize;
        let first = be(sample, at + length_size, 1)? as u8;
        types.push(first & 0x1f);
        at += length_size + len;
    }
    if at != sample.len() {
        return Err("a NAL unit overruns its sample".into());
    }
    Ok(types)
}
