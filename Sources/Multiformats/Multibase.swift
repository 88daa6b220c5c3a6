/// Multibase text encodings: a one-character prefix naming the base, then the encoded bytes.
///
/// Decoding is strict (no padding, no mixed case, no non-zero trailing bits) so that a string
/// has exactly one meaning.
public enum Multibase: Character, Sendable, CaseIterable {
    case base58btc = "z"
    case base32 = "b"
    case base32Upper = "B"
    case base36 = "k"
    case base36Upper = "K"
    case base64url = "u"

    /// `prefix + encoded bytes`.
    public func encode(_ bytes: some Collection<UInt8>) -> String {
        String(rawValue) + encodeWithoutPrefix(bytes)
    }

    public func encodeWithoutPrefix(_ bytes: some Collection<UInt8>) -> String {
        switch self {
        case .base58btc: return BaseX.base58.encode(Array(bytes))
        case .base36: return BaseX.base36.encode(Array(bytes))
        case .base36Upper: return BaseX.base36.encode(Array(bytes)).uppercased()
        case .base32: return RFC4648.encode(bytes, alphabet: RFC4648.base32Lower, bitsPerChar: 5)
        case .base32Upper: return RFC4648.encode(bytes, alphabet: RFC4648.base32Upper, bitsPerChar: 5)
        case .base64url: return RFC4648.encode(bytes, alphabet: RFC4648.base64URL, bitsPerChar: 6)
        }
    }

    /// Decodes text without its prefix in this base.
    public func decodeWithoutPrefix(_ text: Substring) throws(MultiformatsError) -> [UInt8] {
        switch self {
        case .base58btc: return try BaseX.base58.decode(text, name: "base58btc")
        case .base36: return try BaseX.base36.decode(text, name: "base36 (lower case)")
        case .base36Upper: return try BaseX.base36Upper.decode(text, name: "base36 (upper case)")
        case .base32: return try RFC4648.decode(text, table: RFC4648.base32LowerTable, bitsPerChar: 5, name: "base32 (lower case)")
        case .base32Upper: return try RFC4648.decode(text, table: RFC4648.base32UpperTable, bitsPerChar: 5, name: "base32 (upper case)")
        case .base64url: return try RFC4648.decode(text, table: RFC4648.base64URLTable, bitsPerChar: 6, name: "base64url")
        }
    }

    /// Decodes a full multibase string (prefix included); returns the base and the bytes.
    public static func decode(_ text: String) throws(MultiformatsError) -> (base: Multibase, bytes: [UInt8]) {
        guard let first = text.first else { throw .emptyInput }
        guard let base = Multibase(rawValue: first) else { throw .unknownMultibasePrefix(first) }
        return (base, try base.decodeWithoutPrefix(text.dropFirst()))
    }
}

/// RFC 4648 bit-packing encodings without padding (base32, base64url).
enum RFC4648 {
    static let base32Lower = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    static let base32Upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let base64URL = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let base32LowerTable = table(base32Lower)
    static let base32UpperTable = table(base32Upper)
    static let base64URLTable = table(base64URL)

    static func table(_ alphabet: [UInt8]) -> [UInt8] {
        var t = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }

    static func encode(_ bytes: some Collection<UInt8>, alphabet: [UInt8], bitsPerChar: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + bitsPerChar - 1) / bitsPerChar)
        var buffer: UInt32 = 0
        var bits = 0
        let mask = UInt32((1 << bitsPerChar) - 1)
        for b in bytes {
            buffer = (buffer << 8) | UInt32(b)
            bits += 8
            while bits >= bitsPerChar {
                bits -= bitsPerChar
                out.append(alphabet[Int((buffer >> UInt32(bits)) & mask)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(bitsPerChar - bits)) & mask)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: Substring, table: [UInt8], bitsPerChar: Int, name: String) throws(MultiformatsError) -> [UInt8] {
        let chars = text.utf8.count
        // Lengths that leave a whole spare character (or more) of bits are never produced.
        let leftoverBits = (chars * bitsPerChar) % 8
        if leftoverBits >= bitsPerChar { throw .invalidEncodingLength(encoding: name, length: chars) }
        var out: [UInt8] = []
        out.reserveCapacity(chars * bitsPerChar / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let v = table[Int(c)]
            if v == 0xff {
                throw .invalidCharacter(Character(Unicode.Scalar(c)), encoding: name)
            }
            buffer = (buffer << UInt32(bitsPerChar)) | UInt32(v)
            bits += bitsPerChar
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        if buffer != 0 { throw .nonCanonicalEncoding(encoding: name) }
        return out
    }
}

/// Big-number base conversions (base58btc, base36) where leading zero bytes map to the
/// alphabet's first character.
struct BaseX: Sendable {
    let alphabet: [UInt8]
    let table: [UInt8]

    static let base58 = BaseX("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
    static let base36 = BaseX("0123456789abcdefghijklmnopqrstuvwxyz")
    static let base36Upper = BaseX("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    init(_ chars: String) {
        alphabet = Array(chars.utf8)
        table = RFC4648.table(alphabet)
    }

    func encode(_ bytes: [UInt8]) -> String {
        let base = UInt32(alphabet.count)
        let zeros = bytes.prefix(while: { $0 == 0 }).count
        // Digits in the target base, least significant first.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for b in bytes[zeros...] {
            var carry = UInt32(b)
            for j in digits.indices {
                carry += UInt32(digits[j]) << 8
                digits[j] = UInt8(carry % base)
                carry /= base
            }
            while carry > 0 {
                digits.append(UInt8(carry % base))
                carry /= base
            }
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + digits.count)
        for d in digits.reversed() { out.append(alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    func decode(_ text: Substring, name: String) throws(MultiformatsError) -> [UInt8] {
        let base = UInt32(alphabet.count)
        let utf8 = text.utf8
        let zeros = utf8.prefix(while: { $0 == alphabet[0] }).count
        var bytes: [UInt8] = []  // least significant first
        for c in utf8.dropFirst(zeros) {
            let v = table[Int(c)]
            if v == 0xff {
                throw .invalidCharacter(Character(Unicode.Scalar(c)), encoding: name)
            }
            var carry = UInt32(v)
            for j in bytes.indices {
                carry += UInt32(bytes[j]) * base
                bytes[j] = UInt8(truncatingIfNeeded: carry)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(truncatingIfNeeded: carry))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }
}
