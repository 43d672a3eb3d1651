// SPDX-License-Identifier: GPL-2.0

//! The SIP persistence engine's key: the Call-ID of a SIP message carried in a UDP datagram.
//!
//! C (`ip_vs_pe_sip.c`) finds it with conntrack's `ct_sip_get_header`; this is the same search
//! written over a byte slice, quirks included, so that the same datagrams give the same key (or
//! none, in which case C drops the datagram, for all its comment about falling back to plain
//! persistence):
//! - headers are only looked for at the start of a line after the first (CR, LF or CRLF), and a
//!   line starting with a space or tab continues the one before;
//! - the header name is `Call-ID` or its compact form `i` (which must not be followed by a
//!   letter), in any case;
//! - whitespace (continuation lines included) may surround the colon; a name that is not
//!   followed by a colon ends the search, it does not go on to later lines;
//! - the value is a "word" (RFC 3261's word characters), optionally `@` and another word;
//!   an empty value resumes the search after it, as `get_callid` does;
//! - the value must be at most [`PEDATA_MAXLEN`] bytes and be followed by CR or LF.

/// Longest persistence-engine data C keeps (`IP_VS_PEDATA_MAXLEN`).
pub(crate) const PEDATA_MAXLEN: usize = 255;

/// Name of the engine, as ipvsadm gives it and /proc shows it.
pub(crate) const NAME: &str = "sip";

/// The Call-ID of the SIP message `msg` (a UDP payload), or `None` when it has none C accepts.
pub(crate) fn call_id(msg: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    let (off, len) = loop {
        match get_header(msg, from)? {
            Ok(found) => break found,
            // C adds the offset where the empty value was found to its start offset.
            Err(at) => from += at,
        }
    };
    if len > PEDATA_MAXLEN || !matches!(msg.get(off + len), Some(b'\r' | b'\n')) {
        return None;
    }
    Some(&msg[off..off + len])
}

/// `ct_sip_get_header(.., SIP_HDR_CALL_ID, ..)` from offset `from`: `None` when there is no
/// usable Call-ID header, `Some(Err(offset))` when one has an empty value at `offset`, and
/// `Some(Ok((offset, length)))` for its value.
fn get_header(msg: &[u8], from: usize) -> Option<Result<(usize, usize), usize>> {
    const HEADER: &[u8] = b"Call-ID";
    const COMPACT: u8 = b'i';
    let limit = msg.len();
    let mut p = from;
    while p < limit {
        // Find the beginning of a line.
        if !is_eol(msg[p]) {
            p += 1;
            continue;
        }
        p += 1;
        if p >= limit {
            return None;
        }
        if msg[p - 1] == b'\r' && msg[p] == b'\n' {
            p += 1;
            if p >= limit {
                return None;
            }
        }
        // Continuation lines belong to the header before.
        if is_blank(msg[p]) {
            p += 1;
            continue;
        }
        let rest = &msg[p..];
        if rest.len() >= HEADER.len() && rest[..HEADER.len()].eq_ignore_ascii_case(HEADER) {
            p += HEADER.len();
        } else if rest.len() > 1
            && rest[0].eq_ignore_ascii_case(&COMPACT)
            && !rest[1].is_ascii_alphabetic()
        {
            p += 1;
        } else {
            p += 1;
            continue;
        }
        p = skip_whitespace(msg, p)?;
        if msg[p] != b':' {
            return None;
        }
        p += 1;
        if p >= limit {
            return None;
        }
        p = skip_whitespace(msg, p)?;
        let len = call_id_len(&msg[p..]);
        return Some(if len == 0 { Err(p) } else { Ok((p, len)) });
    }
    None
}

/// `sip_skip_whitespace`: the first byte at or after `p` that is neither a blank nor the line
/// break of a continuation line, if there is one before the end.
fn skip_whitespace(msg: &[u8], mut p: usize) -> Option<usize> {
    while p < msg.len() {
        if is_blank(msg[p]) {
            p += 1;
            continue;
        }
        if is_eol(msg[p]) {
            p = follow_continuation(msg, p)?;
        }
        break;
    }
    (p < msg.len()).then_some(p)
}

/// `sip_follow_continuation`: past the line break at `p`, the first non-blank byte of the next
/// line if that line is a continuation.
fn follow_continuation(msg: &[u8], mut p: usize) -> Option<usize> {
    p += 1;
    if p >= msg.len() {
        return None;
    }
    if msg[p - 1] == b'\r' && msg[p] == b'\n' {
        p += 1;
        if p >= msg.len() {
            return None;
        }
    }
    if !is_blank(msg[p]) {
        return None;
    }
    while p < msg.len() && is_blank(msg[p]) {
        p += 1;
    }
    Some(p)
}

/// `callid_len`: a word, or a word, `@` and a word (0 if that second word is empty).
fn call_id_len(value: &[u8]) -> usize {
    let len = word_len(value);
    if len == 0 || value.get(len) != Some(&b'@') {
        return len;
    }
    match word_len(&value[len + 1..]) {
        0 => 0,
        domain => len + 1 + domain,
    }
}

fn word_len(s: &[u8]) -> usize {
    s.iter().take_while(|&&c| is_word_char(c)).count()
}

/// RFC 3261's `word` characters, as conntrack's `iswordc`.
fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'"'
                | b'%'
                | b'('..=b'+'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'['..=b']'
                | b'_'
                | b'`'
                | b'{'
                | b'}'
                | b'~'
                | b'-'..=b'/'
                | b'\''
        )
}

fn is_eol(c: u8) -> bool {
    c == b'\r' || c == b'\n'
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(msg: &str) -> Option<&str> {
        call_id(msg.as_bytes()).map(|v| core::str::from_utf8(v).unwrap())
    }

    #[test]
    fn finds_the_call_id_of_a_request() {
        let msg = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33\r\n\
                   Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 1 INVITE\r\n\r\n";
        assert_eq!(id(msg), Some("a84b4c76e66710@pc33.example.com"));
    }

    #[test]
    fn compact_form_any_case_and_bare_line_feeds() {
        assert_eq!(id("OPTIONS x SIP/2.0\ni: abc\n\n"), Some("abc"));
        assert_eq!(id("OPTIONS x SIP/2.0\r\nI :abc\r\n"), Some("abc"));
        assert_eq!(
            id("OPTIONS x SIP/2.0\r\ncall-id:\t xyz@h\r\n"),
            Some("xyz@h")
        );
        // "i" followed by a letter is another header.
        assert_eq!(id("OPTIONS x SIP/2.0\r\nid: 1\r\ni: two\r\n"), Some("two"));
    }

    #[test]
    fn the_first_line_is_not_a_header() {
        assert_eq!(id("Call-ID: abc\r\n"), None);
    }

    #[test]
    fn value_on_a_continuation_line() {
        assert_eq!(
            id("BYE x SIP/2.0\r\nCall-ID:\r\n   cont@host\r\n"),
            Some("cont@host")
        );
        // Blank lines in between are not continuations.
        assert_eq!(id("BYE x SIP/2.0\r\nCall-ID:\r\nabc\r\n"), None);
    }

    #[test]
    fn refused_values() {
        // No line break after the value.
        assert_eq!(id("BYE x SIP/2.0\r\nCall-ID: abc"), None);
        // Something else after the word.
        assert_eq!(id("BYE x SIP/2.0\r\nCall-ID: abc;x\r\n"), None);
        // Empty domain.
        assert_eq!(id("BYE x SIP/2.0\r\nCall-ID: abc@\r\n"), None);
        // Too long.
        let long = "a".repeat(PEDATA_MAXLEN + 1);
        assert_eq!(id(&format!("BYE x SIP/2.0\r\nCall-ID: {long}\r\n")), None);
        let longest = "a".repeat(PEDATA_MAXLEN);
        let msg = format!("BYE x SIP/2.0\r\nCall-ID: {longest}\r\n");
        assert_eq!(id(&msg), Some(longest.as_str()));
    }

    #[test]
    fn a_name_without_colon_ends_the_search() {
        assert_eq!(id("BYE x SIP/2.0\r\nCall-IDx: 1\r\nCall-ID: 2\r\n"), None);
        assert_eq!(id("BYE x SIP/2.0\r\ni-x: 1\r\nCall-ID: 2\r\n"), None);
    }

    #[test]
    fn an_empty_value_resumes_the_search() {
        assert_eq!(
            id("BYE x SIP/2.0\r\nCall-ID: ;\r\nCall-ID: good\r\n"),
            Some("good")
        );
    }

    #[test]
    fn named_sip_as_ip_vs_pe_sip() {
        // ip_vs_pe_sip.c: `.name = "sip"`, the name ipvsadm's `--pe sip` looks up.
        assert_eq!(NAME, "sip");
        assert_eq!(crate::sched::lookup_pe(NAME.as_bytes()), Ok("sip"));
    }
}
