import Crypto
import Foundation

/// The two content hashes the protocol uses, computed while bytes stream past.
struct ContentHasher {
    private var sha256 = SHA256()
    private var sha1: Insecure.SHA1?
    private(set) var count: Int64 = 0

    /// `expectedSize` lets the git blob sha1 (`"blob <size>\0" + content`) be computed in the same pass.
    init(expectedSize: Int64?) {
        if let expectedSize {
            var h = Insecure.SHA1()
            h.update(data: Array("blob \(expectedSize)\0".utf8))
            sha1 = h
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: bytes)
        sha1?.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    /// (sha256 hex, git sha1 hex or nil when the size was not known in advance).
    func finalize() -> (sha256: String, gitSHA1: String?) {
        (hex(sha256.finalize()), sha1.map { hex($0.finalize()) })
    }
}

func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

func sha256Hex(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

func gitBlobSHA1(_ bytes: [UInt8]) -> String {
    var h = Insecure.SHA1()
    h.update(data: Array("blob \(bytes.count)\0".utf8))
    h.update(data: bytes)
    return hex(h.finalize())
}

/// The git-lfs pointer file that stands in the git tree for an LFS file.
func lfsPointer(sha256: String, size: Int64) -> [UInt8] {
    Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256)\nsize \(size)\n".utf8)
}

func isHex(_ s: String, count: Int) -> Bool {
    s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}
