import Crypto

/// A self-describing hash: `<code varint><digest length varint><digest>`.
///
/// sha2-256 (0x12) is what Kubo uses by default; identity (0x00) embeds the data itself.
public struct Multihash: Hashable, Sendable, CustomStringConvertible {
    public static let sha2_256Code: UInt64 = 0x12
    public static let identityCode: UInt64 = 0x00

    /// The hash function's multicodec code.
    public let code: UInt64
    /// The hash output (or, for identity, the data itself).
    public let digest: [UInt8]
    /// The binary multihash (prefix + digest).
    public let bytes: [UInt8]

    /// Builds a multihash from a code and a digest (validated for the known functions).
    public init(code: UInt64, digest: [UInt8]) throws(MultiformatsError) {
        if code == Self.sha2_256Code && digest.count != 32 {
            throw .invalidDigestLength(code: code, length: digest.count)
        }
        self.code = code
        self.digest = digest
        var b = Varint.encode(code)
        Varint.encode(UInt64(digest.count), into: &b)
        b.append(contentsOf: digest)
        self.bytes = b
    }

    /// Parses a complete binary multihash; extra bytes after the digest are an error.
    public init(bytes: [UInt8]) throws(MultiformatsError) {
        let (mh, end) = try Multihash.parse(bytes, at: 0)
        if end != bytes.count { throw .trailingBytes(bytes.count - end) }
        self = mh
    }

    /// Parses one multihash starting at `index`; returns it and the index after it.
    public static func parse(_ bytes: [UInt8], at index: Int) throws(MultiformatsError) -> (Multihash, Int) {
        guard index < bytes.count else { throw .emptyInput }
        let (code, i1) = try Varint.decode(bytes, at: index)
        let (length, i2) = try Varint.decode(bytes, at: i1)
        let available = bytes.count - i2
        guard length <= UInt64(available) else {
            throw .multihashTruncated(expected: length > UInt64(Int.max) ? Int.max : Int(length), available: available)
        }
        let digest = Array(bytes[i2..<(i2 + Int(length))])
        return (try Multihash(code: code, digest: digest), i2 + Int(length))
    }

    /// The sha2-256 multihash of `data` (computed with swift-crypto).
    public static func sha256(_ data: some Collection<UInt8>) -> Multihash {
        let digest: [UInt8] = data.withContiguousStorageIfAvailable { buf in
            Array(SHA256.hash(data: UnsafeRawBufferPointer(buf)))
        } ?? Array(SHA256.hash(data: Array(data)))
        return Multihash(trustedSHA256: digest)
    }

    /// The identity multihash: the data itself, inline.
    public static func identity(_ data: some Collection<UInt8>) -> Multihash {
        try! Multihash(code: identityCode, digest: Array(data))  // identity accepts any length
    }

    /// Hashes `data` with this multihash's function (for verifying a block against its CID).
    public func rehash(_ data: some Collection<UInt8>) throws(MultiformatsError) -> Multihash {
        switch code {
        case Self.sha2_256Code: return .sha256(data)
        case Self.identityCode: return .identity(data)
        default: throw .unsupportedHashFunction(code)
        }
    }

    /// True when `data` hashes to this multihash.
    public func matches(_ data: some Collection<UInt8>) throws(MultiformatsError) -> Bool {
        try rehash(data) == self
    }

    private init(trustedSHA256 digest: [UInt8]) {
        code = Self.sha2_256Code
        self.digest = digest
        bytes = [0x12, 0x20] + digest
    }

    public static func == (a: Multihash, b: Multihash) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }

    /// base58btc of the bytes, as multihashes are usually shown.
    public var description: String { BaseX.base58.encode(bytes) }
}
