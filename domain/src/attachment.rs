//! Files a citizen attaches to a petition: which kinds are accepted, judged by their
//! content and never by their name, and how metadata that could identify a person or a
//! place (GPS position, camera owner, comments) is removed before anything is stored.
//!
//! The cleaners keep only what is known to be needed to show the picture and drop every
//! other segment or chunk, so metadata in a form not listed here is removed too. Input is
//! untrusted: every read is bounds-checked and a malformed file is an error, never a panic.

use serde::{Deserialize, Serialize};

use crate::validation::Problem;

/// At most this many attachments on one petition.
pub const MAX_ATTACHMENTS: usize = 5;

/// The largest attachment accepted. The locale messages say "10 MB"; change both together.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// What a broken or unrecognised file is reported as: to the citizen both mean "send a
/// JPG, PNG, WebP or PDF that opens".
const DAMAGED: Problem = Problem::FileTypeNotAllowed;

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The kinds of file a petition may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl MediaType {
    pub const ALL: [MediaType; 4] = [MediaType::Jpeg, MediaType::Png, MediaType::Webp, MediaType::Pdf];

    /// The MIME type to serve the file with.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// The file name extension to offer on download.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Pdf => "pdf",
        }
    }

    /// The stored name, the same as the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpeg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Pdf => "pdf",
        }
    }

    /// Reads a stored name back.
    pub fn parse(s: &str) -> Option<Self> {
        MediaType::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether a page can show it inline as a picture.
    pub fn is_image(self) -> bool {
        !matches!(self, MediaType::Pdf)
    }
}

/// The kind of file from its first bytes. A file name says what the sender claims; the
/// content says what a viewer will actually run, so only the content counts.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaType::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(MediaType::Png)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(MediaType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        // Readers accept the header anywhere in the first kilobyte; we do not, so that a
        // file cannot pass as a PDF while being something else at its start.
        Some(MediaType::Pdf)
    } else {
        None
    }
}

/// Checks an upload's size and kind. Run [`strip_metadata`] afterwards, which also checks
/// the file's structure.
pub fn check(bytes: &[u8]) -> Result<MediaType, Problem> {
    if bytes.is_empty() {
        return Err(Problem::FileEmpty);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Problem::FileTooLarge);
    }
    sniff(bytes).ok_or(Problem::FileTypeNotAllowed)
}

/// The file without the metadata that could identify a person or a place, the picture
/// itself unchanged. `media` must be what [`sniff`] says of `bytes`.
///
/// - JPEG: keeps the frame, table, scan and restart segments, APP0 JFIF and APP14 Adobe
///   (they change how colours decode) and the compressed data; drops EXIF/XMP (APP1),
///   every other APPn including ICC profiles, comments, and anything after the end marker.
/// - PNG: keeps the image and rendering chunks; drops eXIf, tEXt, zTXt, iTXt, tIME and
///   any other ancillary chunk, and anything after IEND.
/// - WebP: keeps the image, alpha, animation and ICC chunks; drops EXIF, XMP and unknown
///   chunks, clears the matching VP8X flags and rewrites the RIFF size.
/// - PDF: returned unchanged. Cleaning a PDF's metadata needs a PDF parser and is out of
///   scope; officials should know a PDF may still name its author.
pub fn strip_metadata(media: MediaType, bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    // A mislabelled file would otherwise skip the cleaner it needs (a JPEG called a PDF).
    if sniff(bytes) != Some(media) {
        return Err(Problem::FileTypeNotAllowed);
    }
    match media {
        MediaType::Jpeg => strip_jpeg(bytes),
        MediaType::Png => strip_png(bytes),
        MediaType::Webp => strip_webp(bytes),
        MediaType::Pdf => Ok(bytes.to_vec()),
    }
}

fn byte(bytes: &[u8], at: usize) -> Result<u8, Problem> {
    bytes.get(at).copied().ok_or(DAMAGED)
}

fn range(bytes: &[u8], start: usize, len: usize) -> Result<&[u8], Problem> {
    let end = start.checked_add(len).ok_or(DAMAGED)?;
    bytes.get(start..end).ok_or(DAMAGED)
}

fn four(bytes: &[u8], at: usize) -> Result<[u8; 4], Problem> {
    range(bytes, at, 4)?.try_into().map_err(|_| DAMAGED)
}

fn u32_to_usize(n: u32) -> Result<usize, Problem> {
    usize::try_from(n).map_err(|_| DAMAGED)
}

fn add(a: usize, b: usize) -> Result<usize, Problem> {
    a.checked_add(b).ok_or(DAMAGED)
}

/// Walks the JPEG markers from SOI to EOI, copying the segments a decoder needs.
fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(DAMAGED);
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut pos = 2;
    let mut scanned = false;
    loop {
        if byte(bytes, pos)? != 0xFF {
            return Err(DAMAGED);
        }
        // Any number of 0xFF fill bytes may come before a marker; they carry nothing.
        while byte(bytes, add(pos, 1)?)? == 0xFF {
            pos = add(pos, 1)?;
        }
        let start = pos;
        let marker = byte(bytes, add(pos, 1)?)?;
        pos = add(pos, 2)?;
        match marker {
            // End of image: whatever follows (phones append more pictures there, each with
            // its own EXIF) is dropped. No scan means no picture.
            0xD9 if scanned => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            // TEM and stray restart markers stand alone, without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            // A stuffed zero outside a scan, a second SOI, or EOI before any scan.
            0x00 | 0xD8 | 0xD9 => return Err(DAMAGED),
            _ => {}
        }
        let high = byte(bytes, pos)?;
        let low = byte(bytes, add(pos, 1)?)?;
        let len = usize::from(u16::from_be_bytes([high, low]));
        if len < 2 {
            return Err(DAMAGED);
        }
        // The whole segment: marker, length and payload.
        let segment = range(bytes, start, add(len, 2)?)?;
        let payload = segment.get(4..).ok_or(DAMAGED)?;
        if keep_jpeg_segment(marker, payload) {
            out.extend_from_slice(segment);
        }
        pos = add(pos, len)?;
        if marker == 0xDA {
            scanned = true;
            let end = entropy_end(bytes, pos)?;
            out.extend_from_slice(bytes.get(pos..end).ok_or(DAMAGED)?);
            pos = end;
        }
    }
}

/// Segments needed to decode: frame headers, tables, scan headers, restart interval,
/// and the two APP segments that change how colours decode.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xEE => payload.starts_with(b"Adobe"),
        // SOFn, DHT, DAC (0xC8 is reserved, not a frame).
        0xC0..=0xCF => marker != 0xC8,
        // SOS, DQT, DNL, DRI, DHP, EXP.
        0xDA..=0xDF => true,
        _ => false,
    }
}

/// Where the compressed data after a scan header ends: at the first 0xFF that is neither
/// a stuffed zero nor a restart marker. Running off the end means the file is cut short.
fn entropy_end(bytes: &[u8], mut pos: usize) -> Result<usize, Problem> {
    loop {
        let rest = bytes.get(pos..).ok_or(DAMAGED)?;
        let at = add(pos, rest.iter().position(|&b| b == 0xFF).ok_or(DAMAGED)?)?;
        match byte(bytes, add(at, 1)?)? {
            0x00 | 0xD0..=0xD7 => pos = add(at, 2)?,
            _ => return Ok(at),
        }
    }
}

/// Walks the PNG chunks from IHDR to IEND, copying whole chunks so their CRCs stay right.
fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(DAMAGED);
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut pos = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let len = u32::from_be_bytes(four(bytes, pos)?);
        if len > 0x7FFF_FFFF {
            return Err(DAMAGED);
        }
        let kind = four(bytes, add(pos, 4)?)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) || (first && &kind != b"IHDR") {
            return Err(DAMAGED);
        }
        first = false;
        // Length, type, data and CRC.
        let total = add(u32_to_usize(len)?, 12)?;
        let chunk = range(bytes, pos, total)?;
        pos = add(pos, total)?;
        if &kind == b"IEND" {
            out.extend_from_slice(chunk);
            return Ok(out);
        }
        if keep_png_chunk(kind)? {
            out.extend_from_slice(chunk);
        }
    }
}

/// The image chunks and the ancillary chunks that change how it looks (colour, gamma,
/// transparency, pixel size, animation). Text, time and EXIF chunks, and ancillary
/// chunks nobody here knows, are dropped.
fn keep_png_chunk(kind: [u8; 4]) -> Result<bool, Problem> {
    match &kind {
        b"IHDR" | b"PLTE" | b"IDAT" => Ok(true),
        b"tRNS" | b"gAMA" | b"cHRM" | b"sRGB" | b"iCCP" | b"cICP" | b"mDCV" | b"mDCv" | b"cLLI" | b"cLLi"
        | b"sBIT" | b"bKGD" | b"hIST" | b"pHYs" | b"sPLT" | b"acTL" | b"fcTL" | b"fdAT" => Ok(true),
        // An unknown critical chunk: no viewer could show the picture anyway.
        _ if kind[0].is_ascii_uppercase() => Err(DAMAGED),
        _ => Ok(false),
    }
}

/// VP8X flags announcing EXIF and XMP chunks; cleared once those chunks are gone.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

/// Walks the RIFF chunks of a WebP, copying the image chunks and rewriting the RIFF size.
fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    if range(bytes, 0, 4)? != b"RIFF" || range(bytes, 8, 4)? != b"WEBP" {
        return Err(DAMAGED);
    }
    let riff_size = u32_to_usize(u32::from_le_bytes(four(bytes, 4)?))?;
    if riff_size < 4 {
        return Err(DAMAGED);
    }
    // Bytes after the RIFF container are not part of the picture and are dropped.
    let body = range(bytes, 0, add(riff_size, 8)?)?;
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut pos = 12;
    let mut has_image = false;
    while pos < body.len() {
        let fourcc = four(body, pos)?;
        let size = u32_to_usize(u32::from_le_bytes(four(body, add(pos, 4)?)?))?;
        let payload = range(body, add(pos, 8)?, size)?;
        let keep = match &fourcc {
            b"VP8 " | b"VP8L" | b"ANMF" => {
                has_image = true;
                true
            }
            // Flags and canvas size: ten bytes.
            b"VP8X" if size < 10 => return Err(DAMAGED),
            b"VP8X" => true,
            b"ALPH" | b"ANIM" | b"ICCP" => true,
            _ => false,
        };
        if keep {
            out.extend_from_slice(&fourcc);
            out.extend_from_slice(&u32::try_from(size).map_err(|_| DAMAGED)?.to_le_bytes());
            let at = out.len();
            out.extend_from_slice(payload);
            if &fourcc == b"VP8X"
                && let Some(flags) = out.get_mut(at)
            {
                *flags &= !(VP8X_EXIF | VP8X_XMP);
            }
            // Payloads are padded to an even length; the pad is written even if a sloppy
            // encoder left it off the last chunk.
            if size % 2 == 1 {
                out.push(0);
            }
        }
        // Past the payload and its pad byte (which may be missing at the very end).
        pos = add(add(pos, 8)?, add(size, size % 2)?)?;
    }
    if !has_image {
        return Err(DAMAGED);
    }
    let riff = u32::try_from(out.len() - 8).map_err(|_| DAMAGED)?;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPS: &[u8] = b"GPS 31.2304N 121.4737E";

    /// A file built from parts, each either kept by the cleaner or not, so the expected
    /// output is the kept parts in order.
    fn build(parts: &[(&[u8], bool)]) -> (Vec<u8>, Vec<u8>) {
        let mut input = Vec::new();
        let mut kept = Vec::new();
        for (bytes, keep) in parts {
            input.extend_from_slice(bytes);
            if *keep {
                kept.extend_from_slice(bytes);
            }
        }
        (input, kept)
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len() + 2).unwrap();
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    fn with(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
        [prefix, rest].concat()
    }

    /// A small progressive-style JPEG: two scans, metadata before and between them, fill
    /// bytes, stuffed zeros and restart markers in the data, and a trailer after EOI.
    fn jpeg() -> (Vec<u8>, Vec<u8>) {
        let app0 = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let exif = segment(0xE1, &with(b"Exif\0\0MM\0*", GPS));
        let xmp = segment(0xE1, &with(b"http://ns.adobe.com/xap/1.0/\0", GPS));
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01profile");
        let com = segment(0xFE, "拍摄者 张三".as_bytes());
        let adobe = segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01");
        let dqt = segment(0xDB, &[0u8; 65]);
        let sof = segment(0xC2, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
        let dht = segment(0xC4, &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2A]);
        let dri = segment(0xDD, &[0, 1]);
        let sos = segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
        let scan1: &[u8] = &[
            0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A, 0xFF, 0xD1, 0xBC,
        ];
        let app1_between = segment(0xE1, &with(b"Exif\0\0", GPS));
        let scan2: &[u8] = &[0xDE, 0xAD, 0xFF, 0x00, 0xBE, 0xEF];
        let trailer = with(b"\xFF\xD8\xFF\xE1\0\x20Exif\0\0", GPS);
        build(&[
            (b"\xFF\xD8", true),
            (&app0, true),
            (&exif, false),
            (&xmp, false),
            (&icc, false),
            (&com, false),
            (&adobe, true),
            (b"\xFF\xFF", false), // fill bytes before a marker
            (&dqt, true),
            (&sof, true),
            (&dht, true),
            (&dri, true),
            (&sos, true),
            (scan1, true),
            (&dht, true),
            (&app1_between, false),
            (&sos, true),
            (scan2, true),
            (b"\xFF\xD9", true),
            (&trailer, false),
        ])
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8], crc: u8) -> Vec<u8> {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        // The cleaner copies CRCs untouched; distinct fakes show each stays with its chunk.
        c.extend_from_slice(&[crc, crc, crc, crc]);
        c
    }

    fn png() -> (Vec<u8>, Vec<u8>) {
        let ihdr = png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0], 1);
        let text = png_chunk(b"tEXt", "Author\0张三".as_bytes(), 2);
        let gama = png_chunk(b"gAMA", &[0, 0, 0xB1, 0x8F], 3);
        let exif = png_chunk(b"eXIf", &with(b"MM\0*", GPS), 4);
        let itxt = png_chunk(b"iTXt", &with(b"Location\0\0\0\0\0", GPS), 5);
        let ztxt = png_chunk(b"zTXt", &with(b"Comment\0\0", GPS), 6);
        let time = png_chunk(b"tIME", &[0x07, 0xE8, 1, 2, 3, 4, 5], 7);
        let phys = png_chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1], 8);
        let private = png_chunk(b"prVt", GPS, 9);
        let idat = png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0xF8, 0xFF, 0xFF, 0x3F, 0], 10);
        let iend = png_chunk(b"IEND", &[], 11);
        build(&[
            (PNG_SIGNATURE, true),
            (&ihdr, true),
            (&text, false),
            (&gama, true),
            (&exif, false),
            (&itxt, false),
            (&ztxt, false),
            (&time, false),
            (&phys, true),
            (&private, false),
            (&idat, true),
            (&iend, true),
            (GPS, false),
        ])
    }

    fn riff_chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = fourcc.to_vec();
        c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn webp_file(chunks: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut f = b"RIFF".to_vec();
        f.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        f.extend_from_slice(b"WEBP");
        f.extend_from_slice(&body);
        f.extend_from_slice(trailer);
        f
    }

    /// An extended WebP with alpha, EXIF and XMP flags set, odd-sized chunks (so pad bytes
    /// matter), an unknown chunk and a trailer after the RIFF container.
    fn webp() -> Vec<u8> {
        let vp8x = riff_chunk(b"VP8X", &[0x10 | VP8X_EXIF | VP8X_XMP, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let iccp = riff_chunk(b"ICCP", b"icc");
        let alph = riff_chunk(b"ALPH", &[0, 0xAA, 0xBB]);
        let vp8 = riff_chunk(b"VP8 ", &[0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 1, 0, 1, 0, 0x11]);
        let exif = riff_chunk(b"EXIF", &with(b"MM\0*", GPS));
        let xmp = riff_chunk(b"XMP ", &with(b"<x:xmpmeta>", GPS));
        let unknown = riff_chunk(b"ZZZZ", GPS);
        webp_file(&[vp8x, iccp, alph, vp8, exif, xmp, unknown], GPS)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Deterministic pseudo-random bytes, so tests need no extra crate.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect()
    }

    #[test]
    fn media_type_names_round_trip_and_match_serde() {
        for m in MediaType::ALL {
            assert_eq!(MediaType::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.as_str()));
        }
        assert_eq!(MediaType::parse("JPEG"), None);
        assert_eq!(MediaType::parse("gif"), None);
        assert_eq!(MediaType::Jpeg.mime(), "image/jpeg");
        assert_eq!(MediaType::Webp.extension(), "webp");
        assert_eq!(MediaType::Pdf.mime(), "application/pdf");
        assert!(MediaType::Png.is_image() && !MediaType::Pdf.is_image());
    }

    #[test]
    fn limits_are_what_the_messages_say() {
        // The locale messages promise 10 MB and five files.
        assert_eq!(MAX_ATTACHMENT_BYTES, 10 * 1024 * 1024);
        assert_eq!(MAX_ATTACHMENTS, 5);
    }

    #[test]
    fn sniff_reads_content_not_names() {
        assert_eq!(sniff(&jpeg().0), Some(MediaType::Jpeg));
        assert_eq!(sniff(&png().0), Some(MediaType::Png));
        assert_eq!(sniff(&webp()), Some(MediaType::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), Some(MediaType::Pdf));
        // A name is just bytes here: none of these is a file of the kind it names.
        for named in [&b"photo.jpg"[..], b"scan.pdf", b"image/png", b"x.webp"] {
            assert_eq!(sniff(named), None);
        }
        // The PDF header must open the file, not sit somewhere in its first kilobyte.
        assert_eq!(sniff(b"\n%PDF-1.4"), None);
        assert_eq!(sniff(b"<html>%PDF-1.4"), None);
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"\xFF\xD8"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn check_refuses_empty_large_and_unknown() {
        assert_eq!(check(b""), Err(Problem::FileEmpty));
        let mut big = b"\xFF\xD8\xFF\xE0".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES, 0);
        assert_eq!(check(&big), Ok(MediaType::Jpeg));
        big.push(0);
        assert_eq!(check(&big), Err(Problem::FileTooLarge));
        let random = noise(0x9E37_79B9_7F4A_7C15, 4096);
        assert_eq!(sniff(&random), None, "the noise happens to look like a file");
        assert_eq!(check(&random), Err(Problem::FileTypeNotAllowed));
        assert_eq!(check(&png().0), Ok(MediaType::Png));
    }

    #[test]
    fn jpeg_loses_metadata_and_keeps_the_picture() {
        let (input, expected) = jpeg();
        assert!(contains(&input, GPS));
        let out = strip_metadata(MediaType::Jpeg, &input).unwrap();
        assert_eq!(out, expected);
        assert!(!contains(&out, GPS));
        assert!(!contains(&out, "张三".as_bytes()));
        assert!(!contains(&out, b"ICC_PROFILE"));
        // Cleaning twice changes nothing more.
        assert_eq!(strip_metadata(MediaType::Jpeg, &out).unwrap(), out);
    }

    #[test]
    fn jpeg_without_end_or_scan_is_refused() {
        let (input, _) = jpeg();
        let cut = input.iter().rposition(|&b| b == 0xD9).unwrap() - 1;
        assert_eq!(strip_metadata(MediaType::Jpeg, &input[..cut]), Err(DAMAGED));
        assert_eq!(strip_metadata(MediaType::Jpeg, b"\xFF\xD8\xFF\xD9"), Err(DAMAGED));
        // A length shorter than its own two bytes.
        assert_eq!(
            strip_metadata(MediaType::Jpeg, b"\xFF\xD8\xFF\xE0\0\x01"),
            Err(DAMAGED)
        );
        // Garbage where a marker should be.
        assert_eq!(
            strip_metadata(MediaType::Jpeg, b"\xFF\xD8\xFF\xFE\0\x02xx"),
            Err(DAMAGED)
        );
    }

    #[test]
    fn png_loses_text_time_and_exif() {
        let (input, expected) = png();
        let out = strip_metadata(MediaType::Png, &input).unwrap();
        assert_eq!(out, expected);
        assert!(!contains(&out, GPS));
        for gone in [b"tEXt", b"eXIf", b"iTXt", b"zTXt", b"tIME", b"prVt"] {
            assert!(!contains(&out, gone), "{}", String::from_utf8_lossy(gone));
        }
        for kept in [b"IHDR", b"gAMA", b"pHYs", b"IDAT", b"IEND"] {
            assert!(contains(&out, kept), "{}", String::from_utf8_lossy(kept));
        }
        assert_eq!(strip_metadata(MediaType::Png, &out).unwrap(), out);
    }

    #[test]
    fn png_with_bad_chunks_is_refused() {
        let (input, _) = png();
        // Missing IEND.
        let iend = input.len() - GPS.len() - 12;
        assert_eq!(strip_metadata(MediaType::Png, &input[..iend]), Err(DAMAGED));
        // A length running past the end of the file.
        let mut long = input.clone();
        long[8..12].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        assert_eq!(strip_metadata(MediaType::Png, &long), Err(DAMAGED));
        // A length over the PNG limit.
        long[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(strip_metadata(MediaType::Png, &long), Err(DAMAGED));
        // IHDR not first.
        let mut swapped = PNG_SIGNATURE.to_vec();
        swapped.extend(png_chunk(b"IDAT", &[0], 0));
        swapped.extend(png_chunk(b"IEND", &[], 0));
        assert_eq!(strip_metadata(MediaType::Png, &swapped), Err(DAMAGED));
    }

    #[test]
    fn webp_loses_exif_and_xmp_and_stays_well_formed() {
        let input = webp();
        let out = strip_metadata(MediaType::Webp, &input).unwrap();
        assert!(!contains(&out, GPS));
        assert!(!contains(&out, b"EXIF") && !contains(&out, b"XMP ") && !contains(&out, b"ZZZZ"));
        let riff = u32::from_le_bytes(out[4..8].try_into().unwrap());
        assert_eq!(usize::try_from(riff).unwrap(), out.len() - 8);
        // VP8X flags: alpha kept, EXIF and XMP cleared.
        assert_eq!(&out[12..16], b"VP8X");
        assert_eq!(out[20], 0x10);
        // Everything else byte for byte, pads included, in order.
        let expected_chunks = [
            riff_chunk(b"VP8X", &[0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            riff_chunk(b"ICCP", b"icc"),
            riff_chunk(b"ALPH", &[0, 0xAA, 0xBB]),
            riff_chunk(b"VP8 ", &[0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 1, 0, 1, 0, 0x11]),
        ];
        assert_eq!(out, webp_file(&expected_chunks, b""));
        assert_eq!(strip_metadata(MediaType::Webp, &out).unwrap(), out);
    }

    #[test]
    fn webp_edge_cases() {
        // A last chunk whose pad byte was left off is accepted and padded.
        let mut unpadded = webp_file(&[riff_chunk(b"VP8L", &[0x2F, 0, 0])], b"");
        unpadded.pop();
        let riff = u32::try_from(unpadded.len() - 8).unwrap();
        unpadded[4..8].copy_from_slice(&riff.to_le_bytes());
        let out = strip_metadata(MediaType::Webp, &unpadded).unwrap();
        assert_eq!(out, webp_file(&[riff_chunk(b"VP8L", &[0x2F, 0, 0])], b""));
        // Only metadata, no picture.
        let no_image = webp_file(&[riff_chunk(b"EXIF", GPS)], b"");
        assert_eq!(strip_metadata(MediaType::Webp, &no_image), Err(DAMAGED));
        // A RIFF size beyond the file.
        let mut long = webp();
        long[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(strip_metadata(MediaType::Webp, &long), Err(DAMAGED));
        // A chunk size beyond the container.
        let mut chunk = webp();
        chunk[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert_eq!(strip_metadata(MediaType::Webp, &chunk), Err(DAMAGED));
    }

    #[test]
    fn pdf_passes_unchanged_and_labels_must_match() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Author (Zhang San) >> endobj\n%%EOF\n";
        assert_eq!(strip_metadata(MediaType::Pdf, pdf).unwrap(), pdf);
        // A JPEG called a PDF would otherwise keep its EXIF.
        let (input, _) = jpeg();
        assert_eq!(strip_metadata(MediaType::Pdf, &input), Err(DAMAGED));
        assert_eq!(strip_metadata(MediaType::Png, &input), Err(DAMAGED));
    }

    #[test]
    fn every_prefix_and_mutation_is_handled_without_panic() {
        let samples = [jpeg().0, png().0, webp(), b"%PDF-1.4\n%%EOF".to_vec()];
        for sample in &samples {
            for n in 0..=sample.len() {
                let prefix = &sample[..n];
                let _ = check(prefix);
                for m in MediaType::ALL {
                    let _ = strip_metadata(m, prefix);
                }
            }
            // Flip bytes at pseudo-random places, a cheap fuzzer.
            for seed in 1..400u64 {
                let mut mutated = sample.clone();
                for (i, r) in noise(seed, 4).chunks(2).enumerate() {
                    let at =
                        (usize::from(r[0]) * 7 + i * 31 + usize::try_from(seed).unwrap()) % mutated.len();
                    mutated[at] = r[1];
                }
                if let Some(m) = sniff(&mutated) {
                    let _ = strip_metadata(m, &mutated);
                }
            }
        }
        // A JPEG or PNG cut before its end marker is refused.
        let (jpeg, _) = jpeg();
        let eoi = jpeg.windows(2).rposition(|w| w == b"\xFF\xD9").unwrap();
        for n in 0..eoi + 2 {
            assert!(strip_metadata(MediaType::Jpeg, &jpeg[..n]).is_err(), "{n}");
        }
        let (png, _) = png();
        let iend = png.windows(4).position(|w| w == b"IEND").unwrap();
        for n in 0..iend + 8 {
            assert!(strip_metadata(MediaType::Png, &png[..n]).is_err(), "{n}");
        }
    }
}
