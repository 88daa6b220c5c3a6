/// Lower-case base16, the form every digest takes in this project's protocols (git object names,
/// Hugging Face etags, sha256 LFS oids, key hashes).
public enum Hex {
    @usableFromInline
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Two ASCII digits a byte, high nibble first, for writing straight into protocol buffers.
    @inlinable
    public static func asciiDigits(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return out
    }

    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: asciiDigits(bytes), as: UTF8.self)
    }

    /// Whether `s` is exactly `count` lower-case hex digits (upper case is refused: the same
    /// digest must have one spelling, as database keys and etags compare as text).
    public static func isLowercase(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
