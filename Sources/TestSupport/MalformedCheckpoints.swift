// A corpus of malformed safetensors files, shared by the reader's tests and the command
// line's: each file is built from bytes, with the piece of the message that must explain it.

import Testing

/// The bytes of a file: the 8-byte little-endian length of `header`, `header`, `data`.
public func fileBytes(header: [UInt8], data: [UInt8] = []) -> [UInt8] {
  lengthPrefix(UInt64(header.count)) + header + data
}

/// The bytes of a file whose header is the UTF-8 of `header`.
public func fileBytes(header: String, data: [UInt8] = []) -> [UInt8] {
  fileBytes(header: Array(header.utf8), data: data)
}

/// `value` as 8 little-endian bytes.
public func lengthPrefix(_ value: UInt64) -> [UInt8] {
  (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// A header entry in the file's JSON syntax.
public func entry(_ name: String, _ dtype: String, _ shape: String, _ offsets: String) -> String {
  #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

/// A malformed file and a piece of the message that must explain it.
public struct MalformedCase: Sendable, CustomTestStringConvertible {
  /// What is wrong, as a test's name.
  public let name: String
  /// The whole file.
  public let bytes: [UInt8]
  /// A piece of the message that must explain it.
  public let message: String

  /// The test's name.
  public var testDescription: String { name }

  /// A case from the whole file's bytes.
  public init(_ name: String, _ bytes: [UInt8], _ message: String) {
    self.name = name
    self.bytes = bytes
    self.message = message
  }

  /// A file whose header is `{` + `entries` + `}` and whose data region is `data`.
  public init(_ name: String, entries: String, data: [UInt8], _ message: String) {
    self.init(name, fileBytes(header: "{" + entries + "}", data: data), message)
  }
}

/// The header of `validFile`.
private let validHeader =
  "{" + entry("a", "F32", "[2,2]", "[0,16]") + "," + entry("b", "U8", "[4]", "[16,20]") + "}"
/// A valid two-tensor file: "a" F32 [2, 2] at [0, 16], "b" U8 [4] at [16, 20].
public let validFile = fileBytes(header: validHeader, data: Array(repeating: 1, count: 20))

/// One F32 [1] tensor "t" with `dtype`, `shape`, `offsets` substituted.
private func one(
  dtype: String = "F32", shape: String = "[1]", offsets: String = "[0,4]"
) -> String {
  entry("t", dtype, shape, offsets)
}

/// Four zero bytes: the data of one F32 element.
public let four: [UInt8] = [0, 0, 0, 0]

private let deepArray =
  String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)

/// More than 80 kinds of broken safetensors files, each with the message that must explain
/// it: truncations, impossible lengths, bad UTF-8 and JSON, missing and extra fields, bad
/// dtypes and numbers, overflowing shapes, overlapping, missing and trailing bytes,
/// duplicate names, bad metadata.
public let malformedCases: [MalformedCase] = [
  // Length prefix and sizes.
  MalformedCase("empty file", [], "file is empty"),
  MalformedCase(
    "truncated inside the length prefix", [0x08, 0, 0, 0, 0], "file is 5 bytes, too short"),
  MalformedCase(
    "header length past end of file", lengthPrefix(100) + Array("{}".utf8),
    "header length 100 runs past the end of the file"),
  MalformedCase(
    "truncated inside the header", Array(validFile.prefix(40)), "runs past the end of the file"),
  MalformedCase(
    "truncated inside the data", Array(validFile.dropLast(3)),
    #"tensor "b": data_offsets [16, 20] run past the end of the file: "#
      + "the data region holds 17 bytes"
  ),
  MalformedCase(
    "header length over 100,000,000", lengthPrefix(100_000_001) + Array("{}".utf8),
    "header length 100000001 exceeds the limit of 100000000 bytes"),
  MalformedCase(
    "header length 2^64 - 1", lengthPrefix(.max), "header length 18446744073709551615 exceeds"),
  MalformedCase("header length 0", lengthPrefix(0), "unexpected end of header, expected a value"),

  // Encoding and JSON syntax.
  MalformedCase(
    "non-UTF-8 byte", fileBytes(header: [0x7B, 0x22, 0x61, 0xFF, 0x22, 0x3A, 0x31, 0x7D]),
    "header is not valid UTF-8 at file offset 11"),
  MalformedCase(
    "overlong UTF-8", fileBytes(header: [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D]),
    "not valid UTF-8 at file offset 10"),
  MalformedCase(
    "UTF-8 surrogate", fileBytes(header: [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]),
    "not valid UTF-8"),
  MalformedCase(
    "not JSON", fileBytes(header: "hello"),
    "header is not valid JSON at file offset 8: unexpected 'h'"),
  MalformedCase(
    "byte order mark", fileBytes(header: "\u{FEFF}{}"), "unexpected byte 0xEF, expected a value"),
  MalformedCase(
    "JSON array instead of object", fileBytes(header: "[]"),
    "the header is an array, expected a JSON object"),
  MalformedCase(
    "JSON string instead of object", fileBytes(header: #""x""#), "the header is a string"),
  MalformedCase(
    "deeply nested arrays as the header", fileBytes(header: deepArray), "the header is an array"),
  MalformedCase(
    "trailing garbage after the object", fileBytes(header: "{}  x"),
    "unexpected 'x' after the header's JSON object"),
  MalformedCase(
    "NUL padding after the object", fileBytes(header: [0x7B, 0x7D, 0, 0, 0, 0, 0, 0]),
    "unexpected byte 0x00 after the header's JSON object"),
  MalformedCase(
    "two objects", fileBytes(header: "{}{}"), "unexpected '{' after the header's JSON object"),
  MalformedCase(
    "unterminated object", fileBytes(header: #"{"a":{"dtype":"F32""#), "expected ',' or '}'"),
  MalformedCase(
    "trailing comma in object", fileBytes(header: "{" + one() + ",}", data: four),
    "expected a string key after ','"),
  MalformedCase(
    "trailing comma in array", entries: one(shape: "[1,]"), data: four,
    "expected a value after ','"),
  MalformedCase(
    "missing colon", fileBytes(header: #"{"a" {}}"#), "expected ':' after an object key"),
  MalformedCase("unquoted key", fileBytes(header: "{a:1}"), "expected a string key or '}'"),
  MalformedCase(
    "leading zero", entries: one(shape: "[01]"), data: four,
    "numbers must not have leading zeros"),
  MalformedCase(
    "plus sign", entries: one(shape: "[+1]"), data: four, "unexpected '+', expected a value"),
  MalformedCase(
    "bare minus", entries: one(shape: "[-]"), data: four, "expected a digit after '-'"),
  MalformedCase(
    "invalid literal", entries: #""t":{"dtype":tru}"#, data: [], "invalid literal, expected true"),
  MalformedCase(
    "unescaped control character", entries: one().replacingOccurrences("\"t\"", "\"t\n\""),
    data: four, "control character U+000A must be escaped in a string"),
  MalformedCase(
    "invalid escape", entries: one().replacingOccurrences("\"t\"", #""t\x""#),
    data: four, #"invalid escape '\x'"#),
  MalformedCase(
    "short \\u escape", entries: one().replacingOccurrences("\"t\"", #""\u12""#),
    data: four, #"\u must be followed by 4 hexadecimal digits"#),
  MalformedCase(
    "lone high surrogate", entries: one().replacingOccurrences("\"t\"", #""\ud800x""#),
    data: four, #"unpaired high surrogate \uD800"#),
  MalformedCase(
    "high surrogate before a non-surrogate",
    entries: one().replacingOccurrences("\"t\"", #""\ud800\u0041""#),
    data: four, #"high surrogate \uD800 followed by \u0041"#),
  MalformedCase(
    "lone low surrogate", entries: one().replacingOccurrences("\"t\"", #""\udc00""#),
    data: four, #"unpaired low surrogate \uDC00"#),
  MalformedCase("unterminated string", fileBytes(header: #"{"abc"#), "unterminated string"),

  // Entry schema.
  MalformedCase(
    "entry is not an object", entries: #""t":[1]"#, data: [],
    #"tensor "t": the entry must be an object with dtype, shape and data_offsets, "#
      + "found an array"),
  MalformedCase(
    "missing dtype", entries: #""t":{"shape":[1],"data_offsets":[0,4]}"#, data: four,
    #"tensor "t": missing field "dtype""#),
  MalformedCase(
    "missing shape", entries: #""t":{"dtype":"F32","data_offsets":[0,4]}"#, data: four,
    #"tensor "t": missing field "shape""#),
  MalformedCase(
    "missing data_offsets", entries: #""t":{"dtype":"F32","shape":[1]}"#, data: four,
    #"tensor "t": missing field "data_offsets""#),
  MalformedCase(
    "extra field", entries: #""t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}"#,
    data: four,
    #"tensor "t": unexpected field "x"; an entry has exactly dtype, shape and data_offsets"#),
  MalformedCase(
    "duplicate field",
    entries: #""t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}"#,
    data: four, #"tensor "t": duplicate field "dtype""#),
  MalformedCase(
    "unknown dtype", entries: one(dtype: "F128"), data: four,
    #"tensor "t": unknown dtype "F128""#),
  MalformedCase(
    "lower-case dtype", entries: one(dtype: "f32"), data: four,
    #"unknown dtype "f32" (dtypes are upper-case: "F32")"#),
  MalformedCase(
    "dtype is a number", entries: #""t":{"dtype":32,"shape":[1],"data_offsets":[0,4]}"#,
    data: four, "dtype must be a string, found a number"),
  MalformedCase(
    "shape is a string", entries: one(shape: #""[1]""#), data: four,
    "shape must be an array of non-negative integers, found a string"),
  MalformedCase(
    "shape element is null", entries: one(shape: "[null]"), data: four,
    "shape[0] must be a non-negative integer, found null"),
  MalformedCase(
    "deeply nested arrays as the dtype", entries: #""t":{"dtype":"# + deepArray + "}", data: [],
    "dtype must be a string, found an array"),

  // Numbers.
  MalformedCase(
    "negative number in shape", entries: one(shape: "[-1]"), data: four,
    #"tensor "t": shape[0] is -1, which is negative; expected a non-negative integer"#),
  MalformedCase(
    "negative zero in shape", entries: one(shape: "[1,-0]"), data: four,
    "shape[1] is -0, which is negative"),
  MalformedCase(
    "fractional number in shape", entries: one(shape: "[1.5]"), data: four,
    "shape[0] is 1.5, which is written with a fractional part"),
  MalformedCase(
    "integral float in shape", entries: one(shape: "[1.0]"), data: four,
    "shape[0] is 1.0, which is written with a fractional part"),
  MalformedCase(
    "exponent in shape", entries: one(shape: "[1e0]"), data: four,
    "shape[0] is 1e0, which is written in exponent notation"),
  MalformedCase(
    "2^64 in shape", entries: one(shape: "[18446744073709551616]"), data: four,
    "shape[0] is 18446744073709551616, which is 2^64 or more"),
  MalformedCase(
    "2^63 in shape", entries: one(shape: "[9223372036854775808]"), data: four,
    "shape[0] is 9223372036854775808, which does not fit in a signed 64-bit integer"),
  MalformedCase(
    "huge number in shape", entries: one(shape: "[" + String(repeating: "9", count: 5000) + "]"),
    data: four, "(5000 characters), which is 2^64 or more"),
  MalformedCase(
    "negative number in offsets", entries: one(offsets: "[-4,0]"), data: four,
    "data_offsets[0] is -4, which is negative"),
  MalformedCase(
    "fractional number in offsets", entries: one(offsets: "[0,4.0]"), data: four,
    "data_offsets[1] is 4.0, which is written with a fractional part"),
  MalformedCase(
    "exponent in offsets", entries: one(offsets: "[0,4E+0]"), data: four,
    "data_offsets[1] is 4E+0, which is written in exponent notation"),
  MalformedCase(
    "2^64 in offsets", entries: one(offsets: "[0,18446744073709551620]"), data: four,
    "data_offsets[1] is 18446744073709551620, which is 2^64 or more"),
  MalformedCase(
    "three offsets", entries: one(offsets: "[0,4,8]"), data: four,
    "data_offsets must hold exactly 2 numbers [begin, end], found 3"),
  MalformedCase("one offset", entries: one(offsets: "[4]"), data: four, "found 1"),

  // Sizes and layout.
  MalformedCase(
    "shape product overflow", entries: one(shape: "[4294967296,4294967296]", offsets: "[0,0]"),
    data: [],
    "shape [4294967296, 4294967296] of F32 has more elements or bits than fit in a 64-bit "
      + "integer (overflow)"),
  MalformedCase(
    "shape overflow hidden by a zero",
    entries: one(shape: "[0,4294967296,4294967296]", offsets: "[0,0]"),
    data: [], "(overflow)"),
  MalformedCase(
    "bit count overflow",
    entries: one(dtype: "F64", shape: "[2305843009213693952]", offsets: "[0,0]"),
    data: [], "(overflow)"),
  MalformedCase(
    "byte length does not match shape", entries: one(shape: "[2,2]", offsets: "[0,12]"),
    data: Array(repeating: 0, count: 12),
    #"tensor "t": data_offsets [0, 12] hold 12 bytes but shape [2, 2] of F32 needs 16"#),
  MalformedCase(
    "F4 with an odd element count", entries: one(dtype: "F4", shape: "[3]", offsets: "[0,1]"),
    data: [0], "shape [3] of F4 is 3 elements of 4 bits = 12 bits, not a whole number of bytes"),
  MalformedCase(
    "F6 with 3 elements", entries: one(dtype: "F6_E3M2", shape: "[3]", offsets: "[0,2]"),
    data: [0, 0], "= 18 bits, not a whole number of bytes"),
  MalformedCase(
    "scalar F4", entries: one(dtype: "F4", shape: "[]", offsets: "[0,0]"), data: [],
    "not a whole number of bytes"),
  MalformedCase(
    "reversed offsets", entries: one(dtype: "U8", shape: "[0]", offsets: "[4,0]"), data: four,
    "data_offsets [4, 0] are reversed: begin is after end"),
  MalformedCase(
    "offsets not starting at 0", entries: one(offsets: "[4,8]"), data: four + four,
    #"tensor "t": data_offsets [4, 8] do not start at 0"#),
  MalformedCase(
    "overlapping offsets",
    entries: entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]"),
    data: Array(repeating: 0, count: 12),
    #"tensor "b": data_offsets [4, 12] overlap tensor "a" at [0, 8]"#),
  MalformedCase(
    "same offsets twice",
    entries: entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[0,4]"),
    data: four, #"overlap tensor "a""#),
  MalformedCase(
    "zero-sized tensor inside another",
    entries: entry("a", "F32", "[2]", "[0,8]") + "," + entry("z", "U8", "[0]", "[4,4]"),
    data: four + four, #"tensor "z": data_offsets [4, 4] overlap tensor "a""#),
  MalformedCase(
    "hole between tensors",
    entries: entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[8,12]"),
    data: Array(repeating: 0, count: 12),
    #"tensor "b": data_offsets [8, 12] leave a hole of 4 bytes after tensor "a", "#
      + "which ends at 4"),
  MalformedCase(
    "offsets past the end",
    entries: entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[4,8]"),
    data: four + [0],
    #"tensor "b": data_offsets [4, 8] run past the end of the file: the data region holds 5 bytes"#
  ),
  MalformedCase(
    "trailing bytes after the data", entries: one(), data: four + [9, 9],
    "2 trailing bytes after the last tensor: the data region holds 6 bytes but the tensors cover 4"
  ),
  MalformedCase(
    "data but no tensors", fileBytes(header: "{}", data: four),
    "the header declares no tensors, but the data region holds 4 bytes"),

  // Names and metadata.
  MalformedCase(
    "duplicate tensor names", entries: one() + "," + one(offsets: "[4,8]"), data: four + four,
    #"tensor "t": duplicate tensor name"#),
  MalformedCase(
    "duplicate names differing only in escapes",
    entries: one() + "," + entry(#"\u0074"#, "F32", "[1]", "[4,8]"),
    data: four + four, "duplicate tensor name"),
  MalformedCase(
    "__metadata__ with a number value", fileBytes(header: #"{"__metadata__":{"n":1}}"#),
    #"invalid __metadata__: the value of "n" must be a string, found a number"#),
  MalformedCase(
    "__metadata__ with an object value", fileBytes(header: #"{"__metadata__":{"n":{}}}"#),
    #"the value of "n" must be a string, found an object"#),
  MalformedCase(
    "__metadata__ that is a tensor entry",
    fileBytes(header: "{" + entry("__metadata__", "F32", "[1]", "[0,4]") + "}", data: four),
    #"invalid __metadata__: the value of "shape" must be a string, found an array"#),
  MalformedCase(
    "__metadata__ that is a string", fileBytes(header: #"{"__metadata__":"x"}"#),
    "invalid __metadata__: must be an object of strings to strings (or null), found a string"),
  MalformedCase(
    "__metadata__ twice", fileBytes(header: #"{"__metadata__":{},"__metadata__":{}}"#),
    "invalid __metadata__: the key appears more than once"),
  MalformedCase(
    "duplicate metadata key", fileBytes(header: #"{"__metadata__":{"k":"1","k":"2"}}"#),
    #"invalid __metadata__: duplicate key "k""#),
]


extension String {
  fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
