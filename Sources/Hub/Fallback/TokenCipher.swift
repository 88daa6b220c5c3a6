import Crypto
import Foundation

/// Seals source tokens at rest with AES-GCM under a key derived from the server's secret, so a
/// copied database file does not give away the admin's upstream tokens.
public struct TokenCipher: Sendable {
    /// The derived key's bytes (SymmetricKey itself is not Sendable).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(secret: [UInt8]) {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret),
                                             info: Data("ipfs-accelerate fallback source token v1".utf8), outputByteCount: 32)
        keyBytes = derived.withUnsafeBytes { Array($0) }
    }

    public func seal(_ token: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(token.utf8), using: key).combined else {
            throw FallbackConfigError("cannot seal the source token")
        }
        return "v1:" + combined.base64EncodedString()
    }

    /// The token, or an error when the value was tampered with or sealed under another secret.
    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw FallbackConfigError("stored source token is not in the sealed format")
        }
        do {
            let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw FallbackConfigError("stored source token cannot be opened (was the hub-secret replaced?)")
        }
    }
}
