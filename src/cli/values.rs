//! Parsers of numeric option values, each refusing nonsense with one message that
//! says what is wanted. Numeric options take negative numbers as values
//! (`allow_negative_numbers`), so that `--limit -3` is refused as a count, not
//! read as an unknown flag.

/// The longest refresh interval `watch` takes: a day.
const MAX_SECONDS: f64 = 86_400.0;

/// A refresh interval: seconds above 0, at most a day; fractions allowed.
pub(super) fn interval_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= MAX_SECONDS => Ok(seconds),
        _ => Err(format!(
            "`{text}` is not a refresh interval: give the seconds between refreshes, \
             more than 0 and at most {MAX_SECONDS}, e.g. 1 or 0.5"
        )),
    }
}

/// A number of rows: a whole number of at least 1.
pub(super) fn row_count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(format!(
            "`{text}` is not a number of rows: give a whole number of at least 1"
        )),
    }
}

/// A whole number of 0 or more (milliseconds, bytes).
pub(super) fn non_negative(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("`{text}` is not a whole number of 0 or more"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_positive_seconds_up_to_a_day() {
        assert_eq!(interval_seconds("0.5"), Ok(0.5));
        assert_eq!(interval_seconds("86400"), Ok(86_400.0));
        for bad in ["0", "-1", "0.0", "86401", "nan", "inf", "soon", ""] {
            let message = interval_seconds(bad).unwrap_err();
            assert!(
                message.contains("more than 0 and at most 86400"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn row_counts_are_at_least_one() {
        assert_eq!(row_count("3"), Ok(3));
        for bad in ["0", "-3", "2.5", "many"] {
            assert!(row_count(bad).unwrap_err().contains("at least 1"), "{bad}");
        }
        assert_eq!(non_negative("0"), Ok(0));
        assert!(non_negative("-1").unwrap_err().contains("0 or more"));
    }
}
