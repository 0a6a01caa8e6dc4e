//! The random requests: what a case is made of, and the strategies that make cases.

use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::Method;
use serde_json::{Map, Value};

/// A query parameter or form field name.
#[derive(Debug, Clone)]
pub(super) enum Key {
    /// One of the route's own names.
    Known(Index),
    Random(String),
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    Empty,
    Bytes(Vec<u8>),
    Json(Value),
    /// The route's fields, each given one of these raw JSON texts.
    Fields(Vec<String>),
    /// The same, cut short after this many bytes.
    Truncated(Vec<String>, Index),
    /// A body that follows the route's schema (types, enums, nested objects) with values
    /// taken in turn from these pools: edge values of the right types.
    Typed(Pools),
    Form(Vec<(Key, String)>),
    Multipart(Multipart),
}

#[derive(Debug, Clone)]
pub(super) struct Pools {
    pub(super) strings: Vec<String>,
    pub(super) numbers: Vec<&'static str>,
    pub(super) bools: Vec<bool>,
    /// Enum choices and array lengths.
    pub(super) picks: Vec<Index>,
    /// Whether an object member is left out.
    pub(super) omit: Vec<bool>,
}

impl Pools {
    pub(super) fn take<T: Clone>(pool: &[T], n: &mut usize) -> T {
        *n += 1;
        pool[*n % pool.len()].clone()
    }
}

#[derive(Debug, Clone)]
pub(super) struct Multipart {
    pub(super) boundary: String,
    pub(super) parts: Vec<(String, Option<String>, Vec<u8>)>,
    pub(super) breakage: Breakage,
}

#[derive(Debug, Clone)]
pub(super) enum Breakage {
    None,
    NoClosingBoundary,
    OtherBoundaryInHeader,
    NoBoundaryInHeader,
    CutAt(Index),
    GarbageBefore(Vec<u8>),
}

#[derive(Debug, Clone)]
pub(super) enum Auth {
    None,
    Valid,
    ReadOnly,
    /// An `Authorization` value as is.
    Raw(String),
    /// `Bearer` and three base64url parts: a header with this `alg`/`kid`, claims, signature.
    JwtLike(String, Option<String>, Value, Vec<u8>),
    /// Signed with the shared secret, with random claims.
    Shared(Map<String, Value>),
}

#[derive(Debug, Clone)]
pub(super) struct Case {
    pub(super) path_values: Vec<String>,
    pub(super) query: Vec<(Key, String)>,
    pub(super) raw_query: Option<&'static str>,
    pub(super) body: Body,
    pub(super) content_type: Option<String>,
    pub(super) auth: Auth,
    pub(super) lms_token: Option<Option<String>>,
    pub(super) launch_token: Option<Option<String>>,
    pub(super) method: Option<Method>,
}

/// Printable ASCII: what a header value may hold.
pub(super) fn header_text() -> impl Strategy<Value = String> {
    "[ -~]{0,80}"
}

pub(super) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("..".to_owned()),
        Just("../../etc/passwd".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("99999999999999999999999999".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("1.5".to_owned()),
        Just("1e400".to_owned()),
        Just("NaN".to_owned()),
        Just("null".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("%00%ff".to_owned()),
        Just("x".repeat(3000)),
        "[a-z0-9_./-]{1,16}",
        any::<String>(),
    ]
}

/// Raw JSON texts: every type, edge numbers, odd strings.
pub(super) fn json_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "null",
            "true",
            "false",
            "0",
            "-1",
            "1.5",
            "-0",
            "1e400",
            "-1e400",
            "99999999999999999999999999",
            "9223372036854775808",
            "-9223372036854775809",
            "\"\"",
            "\"x\"",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "[]",
            "[1,2]",
            "[\"a\",null]",
            "{}",
            "{\"a\":{}}",
            "[[[[[[[[]]]]]]]]",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
        text().prop_map(|s| Value::String(s).to_string()),
        json_value().prop_map(|v| v.to_string()),
    ]
}

pub(super) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

pub(super) fn pools() -> impl Strategy<Value = Pools> {
    (
        prop::collection::vec(
            prop_oneof![text(), Just("Physics".to_owned()), Just("1".to_owned())],
            1..6,
        ),
        prop::collection::vec(
            prop::sample::select(vec![
                "0",
                "1",
                "2",
                "3",
                "-1",
                "9223372036854775807",
                "-9223372036854775808",
                "4294967296",
                "1.5",
                "1e3",
            ]),
            1..6,
        ),
        prop::collection::vec(any::<bool>(), 1..4),
        prop::collection::vec(any::<Index>(), 1..6),
        prop::collection::vec(prop::bool::weighted(0.2), 1..8),
    )
        .prop_map(|(strings, numbers, bools, picks, omit)| Pools {
            strings,
            numbers,
            bools,
            picks,
            omit,
        })
}

pub(super) fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        3 => any::<Index>().prop_map(Key::Known),
        1 => "[ -~]{0,12}".prop_map(Key::Random),
    ]
}

pub(super) fn multipart() -> impl Strategy<Value = Multipart> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "file",
            "files",
            "course_id",
            "asset_name",
            "asset_type",
            "asset_content",
            "contextid",
            "itemid",
            "filepath",
            "component",
            "filearea",
            "",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,20}",
    ];
    let filename = prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "../x",
            "..\\x",
            "/etc/passwd",
            "a\u{0}b.txt",
            "",
            ".",
            "..",
            "CON",
            "x\"y",
            "naïve ünïcode 文件.pdf",
        ])
        .prop_map(str::to_owned),
        Just("f".repeat(5000)),
        any::<String>(),
    ]);
    // Contents up to 2 KiB, or just over the 4 KiB cap of multipart text fields.
    let content = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..2048),
        1 => Just(vec![b'n'; 5000]),
    ];
    let part = (name.clone(), filename, content);
    // Many small parts: the body stays small enough for the socket buffers, so an early
    // refusal is read as an answer rather than a broken pipe.
    let small_part = (
        name,
        prop::option::of("[a-z]{1,8}\\.txt"),
        prop::collection::vec(any::<u8>(), 0..64),
    );
    let breakage = prop_oneof![
        3 => Just(Breakage::None),
        1 => Just(Breakage::NoClosingBoundary),
        1 => Just(Breakage::OtherBoundaryInHeader),
        1 => Just(Breakage::NoBoundaryInHeader),
        1 => any::<Index>().prop_map(Breakage::CutAt),
        1 => prop::collection::vec(any::<u8>(), 1..64).prop_map(Breakage::GarbageBefore),
    ];
    (
        "[a-zA-Z0-9'()+_,./:=?-]{1,70}",
        // A few parts, or more than /upload_files takes (UPLOAD_FILES_MAX_PARTS, 20).
        prop_oneof![
            4 => prop::collection::vec(part, 0..4),
            1 => prop::collection::vec(small_part, 21..26),
        ],
        breakage,
    )
        .prop_map(|(boundary, parts, breakage)| Multipart {
            boundary,
            parts,
            breakage,
        })
}

pub(super) fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::Empty),
        1 => prop::collection::vec(any::<u8>(), 1..4096).prop_map(Body::Bytes),
        1 => json_value().prop_map(Body::Json),
        3 => prop::collection::vec(json_fragment(), 1..8).prop_map(Body::Fields),
        1 => (prop::collection::vec(json_fragment(), 1..8), any::<Index>())
            .prop_map(|(f, i)| Body::Truncated(f, i)),
        1 => prop::collection::vec((key(), text()), 0..6).prop_map(Body::Form),
        4 => pools().prop_map(Body::Typed),
        2 => multipart().prop_map(Body::Multipart),
    ]
}

pub(super) fn auth() -> impl Strategy<Value = Auth> {
    let alg = prop_oneof![
        prop::sample::select(vec![
            "none", "None", "HS256", "HS512", "RS256", "PS256", "ES256", "EdDSA", "",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,8}",
    ];
    let kid = prop::option::of(prop_oneof![
        Just("bridge-0".to_owned()),
        Just("1".to_owned()),
        "[ -~]{0,16}",
    ]);
    let claims = prop::collection::btree_map(
        prop::sample::select(vec![
            "sub", "exp", "nbf", "iat", "iss", "aud", "scope", "scp", "kid",
        ])
        .prop_map(str::to_owned),
        json_value(),
        0..7,
    )
    .prop_map(|m| m.into_iter().collect::<Map<String, Value>>());
    prop_oneof![
        1 => Just(Auth::None),
        6 => Just(Auth::Valid),
        1 => Just(Auth::ReadOnly),
        1 => header_text().prop_map(Auth::Raw),
        1 => header_text().prop_map(|t| Auth::Raw(format!("Bearer {t}"))),
        2 => (alg, kid, json_value(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(a, k, c, s)| Auth::JwtLike(a, k, c, s)),
        2 => claims.prop_map(Auth::Shared),
    ]
}

/// `None`: no header; `Some(None)`: the valid one; `Some(Some(s))`: `s`.
pub(super) fn credential_header() -> impl Strategy<Value = Option<Option<String>>> {
    prop_oneof![
        2 => Just(None),
        2 => Just(Some(None)),
        1 => header_text().prop_map(|s| Some(Some(s))),
    ]
}

pub(super) fn case() -> impl Strategy<Value = Case> {
    let content_type = prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-16",
            "text/plain",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/mixed; boundary=x",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "*/*",
            "application/json;;;=",
            "",
        ])
        .prop_map(str::to_owned),
        header_text(),
    ]);
    let method = prop::option::weighted(
        0.1,
        prop::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ]),
    );
    let raw_query = prop::option::weighted(
        0.15,
        prop::sample::select(vec![
            "%",
            "%%%=%",
            "a=%ff%fe",
            "&&&=&",
            "x[]=1&x[]=2",
            "=",
            "limit=1&limit=2",
        ]),
    );
    (
        prop::collection::vec(text(), 1..3),
        prop::collection::vec((key(), text()), 0..5),
        raw_query,
        body(),
        content_type,
        auth(),
        credential_header(),
        credential_header(),
        method,
    )
        .prop_map(
            |(path_values, query, raw_query, body, content_type, auth, lms, launch, method)| Case {
                path_values,
                query,
                raw_query,
                body,
                content_type,
                auth,
                lms_token: lms,
                launch_token: launch,
                method,
            },
        )
}
