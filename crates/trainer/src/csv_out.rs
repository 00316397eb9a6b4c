//! CSV output through the `csv` crate: fields holding commas, quotes or line breaks (mix
//! specs, paths) are quoted as RFC 4180 says, so every row parses back to its fields.

/// The CSV text of `header` and `rows` (already formatted fields).
pub(crate) fn csv_bytes<I>(header: &[&str], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; a record of the wrong length is a programming error
    // caught by the tests, and the csv crate's flexible(false) default would report it.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_and_quotes_round_trip() {
        let rows = vec![vec![
            "mixup:1,cutmix:1".to_string(),
            "runs/a,b \"c\"".to_string(),
            "0.5".to_string(),
        ]];
        let bytes = csv_bytes(&["mix", "dir", "acc"], rows.clone());
        let mut r = csv::Reader::from_reader(&bytes[..]);
        let back: Vec<Vec<String>> = r
            .records()
            .map(|x| x.expect("record").iter().map(str::to_string).collect())
            .collect();
        assert_eq!(back, rows);
    }
}
