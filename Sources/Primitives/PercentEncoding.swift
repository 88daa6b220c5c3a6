/// RFC 3986 percent-encoding for one URL component: everything but the unreserved set
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` of its UTF-8 bytes, so a `/` in a revision or a `&` in a
/// query value stays inside its segment.
public enum PercentEncoding {
    /// `extraAllowed` are ASCII characters left as they are besides the unreserved set (a space in a
    /// multipart filename, which Kubo reads back with the space).
    public static func encode(_ s: some StringProtocol, extraAllowed: String = "") -> String {
        let extra = Set(extraAllowed.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if isUnreserved(b) || extra.contains(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperDigits[Int(b >> 4)])
                out.append(upperDigits[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path of `/`-separated segments, each encoded on its own (the slashes stay).
    public static func encodePath(_ path: some StringProtocol) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode($0) }.joined(separator: "/")
    }

    /// `?k=v&k=v` with every value encoded, or `""` for no parameters.
    public static func query(_ params: [(String, String)]) -> String {
        params.isEmpty ? "" : "?" + params.map { "\($0.0)=\(encode($0.1))" }.joined(separator: "&")
    }

    public static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        default: return false
        }
    }

    // Upper-case hex, as RFC 3986 section 2.1 recommends and Foundation writes.
    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
