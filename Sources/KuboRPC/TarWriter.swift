import Foundation

/// Writes a folder tree (or one file) as a tar stream the way `ipfs get` answers: entries named
/// under the requested path, folders before their contents, PAX records for long names.
enum TarWriter {
    static func header(name: String, size: UInt64, directory: Bool) -> Data {
        var out = Data()
        var ustarName = name
        if Array(name.utf8).count > 99 {
            // A PAX extended header carries the full path; the ustar name is a truncated stand-in.
            let record = paxRecord("path", name)
            out.append(rawHeader(name: "PaxHeaders/" + String(name.suffix(80)), size: UInt64(record.count), type: UInt8(ascii: "x"), mode: 0o644))
            out.append(record)
            out.append(Data(count: padding(record.count)))
            ustarName = String(String(decoding: Array(name.utf8).suffix(99), as: UTF8.self))
        }
        out.append(rawHeader(name: ustarName, size: directory ? 0 : size, type: directory ? UInt8(ascii: "5") : UInt8(ascii: "0"),
                             mode: directory ? 0o755 : 0o644))
        return out
    }

    static func padding(_ n: Int) -> Int { (512 - n % 512) % 512 }

    static func paxRecord(_ key: String, _ value: String) -> Data {
        let body = " \(key)=\(value)\n"
        var len = body.utf8.count + 1
        while "\(len)\(body)".utf8.count != len { len = "\(len)\(body)".utf8.count }
        return Data("\(len)\(body)".utf8)
    }

    static func rawHeader(name: String, size: UInt64, type: UInt8, mode: Int) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ off: Int, _ len: Int) {
            for (i, b) in Array(s.utf8).prefix(len).enumerated() { h[off + i] = b }
        }
        func octal(_ v: UInt64, _ off: Int, _ len: Int) {
            put(String(repeating: "0", count: max(0, len - 1 - String(v, radix: 8).count)) + String(v, radix: 8), off, len - 1)
        }
        put(name, 0, 100)
        octal(UInt64(mode), 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(0, 136, 12)
        h[156] = type
        put("ustar", 257, 6)
        put("00", 263, 2)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(repeating: "0", count: max(0, 6 - String(sum, radix: 8).count)) + String(sum, radix: 8), 148, 6)
        h[154] = 0
        h[155] = UInt8(ascii: " ")
        return Data(h)
    }

    /// The entries of `root` (a file or a folder) in tar order: (archive name, path on disk, is folder).
    static func entries(root: String, name: String) -> [(String, String, Bool)] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        _ = fm.fileExists(atPath: root, isDirectory: &isDir)
        guard isDir.boolValue else { return [(name, root, false)] }
        var out: [(String, String, Bool)] = [(name, root, true)]
        let children = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for c in children {
            out += entries(root: (root as NSString).appendingPathComponent(c), name: name + "/" + c)
        }
        return out
    }
}
