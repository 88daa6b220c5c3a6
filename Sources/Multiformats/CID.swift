/// A content identifier: CIDv0 (a bare sha2-256 multihash, always dag-pb) or CIDv1
/// (`<0x01><codec varint><multihash>`).
///
/// `description` is the canonical text form: base58btc (`Qm...`) for v0, lower-case base32
/// (`bafy...`) for v1. Parsing accepts v0, and v1 in base32, base58btc, base36 and base64url;
/// anything else is a `MultiformatsError` naming the problem. Paths (`/ipfs/...`) are not CIDs.
public struct CID: Hashable, Sendable, CustomStringConvertible, Codable {
    public enum Version: Int, Sendable, Codable { case v0 = 0, v1 = 1 }

    public let version: Version
    public let codec: Multicodec
    public let multihash: Multihash
    /// The binary form (v0: the 34-byte multihash; v1: version, codec, multihash).
    public let bytes: [UInt8]

    /// A CIDv0 for a sha2-256 multihash.
    public init(v0 multihash: Multihash) throws(MultiformatsError) {
        guard multihash.code == Multihash.sha2_256Code, multihash.digest.count == 32 else {
            throw .invalidCIDv0("a CIDv0 must hold a 32-byte sha2-256 multihash")
        }
        version = .v0
        codec = .dagPB
        self.multihash = multihash
        bytes = multihash.bytes
    }

    /// A CIDv1 with any codec and multihash.
    public init(v1 codec: Multicodec, multihash: Multihash) {
        version = .v1
        self.codec = codec
        self.multihash = multihash
        var b: [UInt8] = [0x01]
        Varint.encode(codec.rawValue, into: &b)
        b.append(contentsOf: multihash.bytes)
        bytes = b
    }

    /// Builds the CID of a block's bytes with sha2-256.
    public static func hashing(_ data: some Collection<UInt8>, codec: Multicodec, version: Version) -> CID {
        let mh = Multihash.sha256(data)
        if version == .v0 && codec == .dagPB { return try! CID(v0: mh) }
        return CID(v1: codec, multihash: mh)
    }

    /// Parses the binary form; the whole array must be one CID.
    public init(bytes: [UInt8]) throws(MultiformatsError) {
        let (cid, end) = try CID.parse(bytes, at: 0)
        if end != bytes.count { throw .trailingBytes(bytes.count - end) }
        self = cid
    }

    /// Parses one binary CID starting at `index` (for streams like CAR); returns it and the
    /// index after it.
    public static func parse(_ bytes: [UInt8], at index: Int) throws(MultiformatsError) -> (CID, Int) {
        guard index < bytes.count else { throw .emptyInput }
        if bytes[index] == 0x12 && index + 1 < bytes.count && bytes[index + 1] == 0x20 {
            let (mh, end) = try Multihash.parse(bytes, at: index)
            return (try CID(v0: mh), end)
        }
        let (version, i1) = try Varint.decode(bytes, at: index)
        guard version == 1 else { throw .unsupportedCIDVersion(version) }
        let (codec, i2) = try Varint.decode(bytes, at: i1)
        let (mh, end) = try Multihash.parse(bytes, at: i2)
        return (CID(v1: Multicodec(rawValue: codec), multihash: mh), end)
    }

    /// Parses the text form.
    public init(_ string: String) throws(MultiformatsError) {
        guard !string.isEmpty else { throw .emptyInput }
        if string.hasPrefix("/") {
            throw .notACID("'\(string.prefix(80))' is a path; give the CID alone")
        }
        if string.count == 46 && string.hasPrefix("Qm") {
            let raw = try Multibase.base58btc.decodeWithoutPrefix(Substring(string))
            guard raw.count == 34, raw[0] == 0x12, raw[1] == 0x20 else {
                throw .invalidCIDv0("does not decode to a 34-byte sha2-256 multihash")
            }
            self = try CID(v0: Multihash(bytes: raw))
            return
        }
        let (_, raw) = try Multibase.decode(string)
        guard !raw.isEmpty else { throw .notACID("no bytes after the multibase prefix") }
        // A multibase-wrapped v0 (0x12 0x20 ...) is not a valid CID string form.
        if raw[0] == 0x12 { throw .invalidCIDv0("CIDv0 must be written in base58btc without a prefix ('Qm...')") }
        self = try CID(bytes: raw)
    }

    /// The same content as CIDv1 (v1 CIDs are returned unchanged).
    public func toV1() -> CID {
        version == .v1 ? self : CID(v1: codec, multihash: multihash)
    }

    /// v0: base58btc; v1: multibase lower-case base32.
    public var description: String {
        switch version {
        case .v0: return BaseX.base58.encode(bytes)
        case .v1: return Multibase.base32.encode(bytes)
        }
    }

    /// The text form in another multibase (v1 only; v0 always prints as base58btc).
    public func string(base: Multibase) -> String {
        version == .v0 ? description : base.encode(bytes)
    }

    public static func == (a: CID, b: CID) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        do { self = try CID(s) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
