import Crypto

/// Checks bytes against a multihash as they arrive in pieces, so a reader can hash each piece
/// while it is still in cache instead of collecting the whole block first.
public struct MultihashVerifier {
    private let expected: Multihash
    private var sha256: SHA256?
    private var identity: [UInt8]?

    /// Fails for hash functions other than sha2-256 and identity.
    public init(_ expected: Multihash) throws(MultiformatsError) {
        self.expected = expected
        switch expected.code {
        case Multihash.sha2_256Code: sha256 = SHA256()
        case Multihash.identityCode: identity = []
        default: throw .unsupportedHashFunction(expected.code)
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256?.update(bufferPointer: bytes)
        identity?.append(contentsOf: bytes)
    }

    /// True when everything passed to `update` hashes to the expected multihash.
    public func matches() -> Bool {
        if let sha256 { return Array(sha256.finalize()) == expected.digest }
        return identity == expected.digest
    }
}
