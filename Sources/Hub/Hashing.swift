import Crypto
import Foundation
import Primitives

/// The two content hashes the protocol uses, computed while bytes stream past.
struct ContentHasher {
    private var sha256 = SHA256()
    private var git: GitObjectHasher?
    private(set) var count: Int64 = 0

    /// `expectedSize` lets the git blob sha1 (`"blob <size>\0" + content`) be computed in the same pass.
    init(expectedSize: Int64?) {
        git = expectedSize.map { GitObjectHasher.blob(size: Int($0)) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: bytes)
        git?.update(bytes)
        count += Int64(bytes.count)
    }

    /// (sha256 hex, git sha1 hex or nil when the size was not known in advance).
    func finalize() -> (sha256: String, gitSHA1: String?) {
        (Hex.encode(sha256.finalize()), git?.finalizeHex())
    }
}

func sha256Hex(_ bytes: some DataProtocol) -> String { Hex.encode(SHA256.hash(data: bytes)) }

/// The git-lfs pointer file that stands in the git tree for an LFS file.
func lfsPointer(sha256: String, size: Int64) -> [UInt8] {
    Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256)\nsize \(size)\n".utf8)
}
