/// Everything that can be wrong with a multiformat value (varint, multibase text, multihash, CID).
///
/// Parsing never traps: malformed input always surfaces as one of these cases, and each case's
/// `description` names what is wrong so a user can fix the input.
public enum MultiformatsError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyInput
    case varintTruncated
    case varintOverflow
    case varintNotMinimal
    case unknownMultibasePrefix(Character)
    case invalidCharacter(Character, encoding: String)
    case invalidEncodingLength(encoding: String, length: Int)
    case nonCanonicalEncoding(encoding: String)
    case multihashTruncated(expected: Int, available: Int)
    case invalidDigestLength(code: UInt64, length: Int)
    case unsupportedHashFunction(UInt64)
    case unsupportedCIDVersion(UInt64)
    case invalidCIDv0(String)
    case trailingBytes(Int)
    case notACID(String)

    public var description: String {
        switch self {
        case .emptyInput: return "empty input: expected a CID"
        case .varintTruncated: return "truncated varint: input ends inside a variable-length integer"
        case .varintOverflow: return "varint overflows 63 bits"
        case .varintNotMinimal: return "varint is not minimally encoded (trailing zero byte)"
        case .unknownMultibasePrefix(let c):
            return "unknown multibase prefix '\(c)': expected 'b' (base32), 'z' (base58btc), 'k' (base36), 'u' (base64url) or a CIDv0 starting with 'Qm'"
        case .invalidCharacter(let c, let enc): return "character '\(c)' is not valid \(enc)"
        case .invalidEncodingLength(let enc, let n): return "\(n) characters cannot be valid \(enc)"
        case .nonCanonicalEncoding(let enc): return "non-canonical \(enc): unused trailing bits are not zero"
        case .multihashTruncated(let e, let a): return "truncated multihash: digest needs \(e) bytes, only \(a) present"
        case .invalidDigestLength(let code, let n):
            return "digest length \(n) is invalid for hash function 0x\(String(code, radix: 16))"
        case .unsupportedHashFunction(let code):
            return "unsupported hash function 0x\(String(code, radix: 16)) (supported: sha2-256 0x12, identity 0x00)"
        case .unsupportedCIDVersion(let v): return "unsupported CID version \(v) (only 0 and 1 exist)"
        case .invalidCIDv0(let why): return "invalid CIDv0: \(why)"
        case .trailingBytes(let n): return "\(n) unexpected bytes after the end of the value"
        case .notACID(let why): return "not a CID: \(why)"
        }
    }
}
