/// A multicodec code: what kind of data a CID points at (raw bytes, dag-pb node, ...).
///
/// Any code is representable so that CIDs made by other software round-trip; the named constants
/// are the ones this project produces.
public struct Multicodec: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let identity = Multicodec(rawValue: 0x00)
    public static let sha2_256 = Multicodec(rawValue: 0x12)
    public static let raw = Multicodec(rawValue: 0x55)
    public static let dagPB = Multicodec(rawValue: 0x70)
    public static let dagCBOR = Multicodec(rawValue: 0x71)
    public static let libp2pKey = Multicodec(rawValue: 0x72)
    public static let dagJSON = Multicodec(rawValue: 0x0129)
    public static let car = Multicodec(rawValue: 0x0202)

    /// The codec's name as Kubo spells it (`--cid-codec`), if this project knows it.
    public var name: String? {
        switch rawValue {
        case 0x55: return "raw"
        case 0x70: return "dag-pb"
        case 0x71: return "dag-cbor"
        case 0x72: return "libp2p-key"
        case 0x0129: return "dag-json"
        case 0x0202: return "car"
        default: return nil
        }
    }

    /// Looks a codec up by its Kubo name (`raw`, `dag-pb`, `dag-cbor`, `dag-json`).
    public init?(name: String) {
        switch name {
        case "raw": self = .raw
        case "dag-pb", "protobuf": self = .dagPB
        case "dag-cbor", "cbor": self = .dagCBOR
        case "dag-json": self = .dagJSON
        case "libp2p-key": self = .libp2pKey
        default: return nil
        }
    }

    public var description: String { name ?? "0x" + String(rawValue, radix: 16) }
}
