import Crypto

/// Git's object name computed while the bytes stream past: SHA-1 over `"<type> <size>\0"` and
/// the content. The size must be known before the first byte, because it is hashed first.
public struct GitObjectHasher {
    private var sha1 = Insecure.SHA1()

    /// `type` is git's name for the object kind: `blob`, `tree`, `commit`, `tag`.
    public init(type: String, size: Int) {
        sha1.update(data: Array("\(type) \(size)\0".utf8))
    }

    /// The hasher for a file's bytes, which git stores as a blob.
    public static func blob(size: Int) -> GitObjectHasher { GitObjectHasher(type: "blob", size: size) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { sha1.update(bufferPointer: bytes) }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        // Hash in place when the collection is contiguous (arrays, slices, Data); copy only
        // for exotic collections.
        let hashedInPlace = bytes.withContiguousStorageIfAvailable { sha1.update(bufferPointer: UnsafeRawBufferPointer($0)) } != nil
        if !hashedInPlace { sha1.update(data: Array(bytes)) }
    }

    /// The 20 raw bytes of the object name.
    public func finalize() -> [UInt8] { Array(sha1.finalize()) }

    /// The object name as git prints it (40 lower-case hex digits).
    public func finalizeHex() -> String { Hex.encode(sha1.finalize()) }

    /// The blob name of `bytes`, as `git hash-object` prints it.
    public static func blobHex(_ bytes: some Collection<UInt8>) -> String {
        var h = blob(size: bytes.count)
        h.update(bytes)
        return h.finalizeHex()
    }
}
