import Foundation

/// Strict CID-string checking before any backend sees the string, so `../../secret` and the like
/// never reach a file system or a URL.
enum CIDCheck {
    static func validate(_ s: String) throws {
        guard !s.isEmpty else { throw RouterError.invalidCID(s, reason: "empty") }
        guard s.count <= 256 else { throw RouterError.invalidCID(String(s.prefix(64)) + "…", reason: "too long") }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard s.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw RouterError.invalidCID(s, reason: "contains characters no multibase CID uses")
        }
    }
}
