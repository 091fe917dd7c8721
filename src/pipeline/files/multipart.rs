//! The `multipart/form-data` envelope of a file upload: the fields first (Directus requires them
//! before the file), then the file part's header; the host streams the bytes between `prefix` and
//! `suffix`.

/// `(content_type, prefix, suffix)` for an upload of `filename` (of MIME `mime`) with `fields`.
pub fn envelope(boundary: &str, fields: &[(&str, String)], filename: &str, mime: &str) -> (String, String, String) {
    let mut prefix = String::new();
    for (name, value) in fields {
        prefix.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
            quote(name)
        ));
    }
    prefix.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
        quote(filename),
        mime.replace(['\r', '\n'], "")
    ));
    let suffix = format!("\r\n--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), prefix, suffix)
}

/// A boundary that cannot occur in the field values it encloses.
pub fn boundary(seed: f64, fields: &[(&str, String)]) -> String {
    let mut n = (seed * 1e15) as u64 ^ 0x9e37_79b9_7f4a_7c15;
    loop {
        let candidate = format!("----table-migration-{n:016x}");
        if fields.iter().all(|(_, v)| !v.contains(&candidate)) {
            return candidate;
        }
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
}

/// Header parameters are quoted strings: no quotes or line breaks inside (UTF-8 is fine for
/// Directus, which reads them as UTF-8).
fn quote(text: &str) -> String {
    text.replace('"', "%22").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_before_the_file_part() {
        let fields = [("id", "f-1".to_string()), ("title", "Café \"menu\"".to_string())];
        let (content_type, prefix, suffix) = envelope("B", &fields, "carte du café.pdf", "application/pdf");
        assert_eq!(content_type, "multipart/form-data; boundary=B");
        assert_eq!(
            prefix,
            "--B\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\nf-1\r\n\
             --B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nCafé \"menu\"\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"carte du café.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        );
        assert_eq!(suffix, "\r\n--B--\r\n");
        let (_, prefix, _) = envelope("B", &[], "a\"b\r\n.txt", "text/plain");
        assert!(prefix.contains("filename=\"a%22b  .txt\""));
    }

    #[test]
    fn the_boundary_avoids_field_values() {
        let first = boundary(0.5, &[]);
        let clash = [("title", format!("x{first}y"))];
        let other = boundary(0.5, &clash);
        assert_ne!(first, other);
        assert!(!clash[0].1.contains(&other));
    }
}
