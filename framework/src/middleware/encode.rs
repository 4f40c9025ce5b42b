//! Compressing a whole body on the worker's thread, for what APIs mostly send: a few
//! hundred bytes to a few dozen kilobytes, already in memory.
//!
//! actix-http's encoder (used here for streams and large bodies) hands every chunk of
//! 1 KiB or more to a blocking thread and builds a fresh compressor per response; on
//! a 2 KB body gzip's set-up costs several times the compression itself. Here a
//! body up to [`INLINE_MAX`] is compressed in place, with one deflate state per
//! thread, reset between responses, and brotli with a window sized to the body.

use std::cell::RefCell;

use actix_web::http::header::ContentEncoding;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Bodies up to this size are compressed inline.
pub(super) const INLINE_MAX: usize = 64 * 1024;

/// Brotli's quality: 3 compresses JSON well at a fraction of the cost of higher ones.
const BROTLI_QUALITY: i32 = 3;

/// A gzip member header: deflate, no name, no time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

thread_local! {
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// `input` compressed with `encoding`, if that made it smaller.
pub(super) fn inline(encoding: ContentEncoding, input: &[u8]) -> Option<Vec<u8>> {
    let compressed = match encoding {
        ContentEncoding::Gzip => gzip(input)?,
        ContentEncoding::Brotli => brotli(input)?,
        _ => return None,
    };
    (compressed.len() < input.len()).then_some(compressed)
}

fn gzip(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    out.extend_from_slice(&GZIP_HEADER);
    DEFLATE.with(|deflate| {
        let mut deflate = deflate.try_borrow_mut().ok()?;
        deflate.reset();
        loop {
            let consumed = usize::try_from(deflate.total_in()).ok()?;
            if out.len() == out.capacity() {
                out.reserve(input.len() / 4 + 64);
            }
            let status = deflate
                .compress_vec(&input[consumed..], &mut out, FlushCompress::Finish)
                .ok()?;
            if status == Status::StreamEnd {
                return Some(());
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(input);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&u32::try_from(input.len()).ok()?.to_le_bytes());
    Some(out)
}

fn brotli(input: &[u8]) -> Option<Vec<u8>> {
    // A window just larger than the body: less memory to set up, same result.
    let bits = usize::BITS - input.len().leading_zeros() + 1;
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: bits.clamp(10, 22) as i32,
        size_hint: input.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    brotli::BrotliCompress(&mut &input[..], &mut out, &params).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn body() -> Vec<u8> {
        (0..300)
            .map(|i| format!("{{\"item\": {i}, \"name\": \"number {i}\"}},"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn gzip_round_trips_and_the_state_is_reused_cleanly() {
        for input in [body(), b"short but not tiny, short but not tiny".repeat(3)] {
            for _ in 0..2 {
                let packed = inline(ContentEncoding::Gzip, &input).unwrap();
                let mut unpacked = Vec::new();
                flate2::read::GzDecoder::new(&packed[..])
                    .read_to_end(&mut unpacked)
                    .unwrap();
                assert_eq!(unpacked, input);
            }
        }
    }

    #[test]
    fn brotli_round_trips() {
        let input = body();
        let packed = inline(ContentEncoding::Brotli, &input).unwrap();
        assert!(packed.len() < input.len() / 4);
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(&packed[..], 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, input);
    }

    #[test]
    fn incompressible_bodies_are_left_as_they_are() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let noise: Vec<u8> = (0..600)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        assert_eq!(inline(ContentEncoding::Gzip, &noise), None);
    }
}
