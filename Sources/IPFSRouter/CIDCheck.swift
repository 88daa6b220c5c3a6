import Foundation
import Multiformats

/// Strict CID checking before any backend sees the string, so `../../secret` and the like never
/// reach a file system or a URL (the seed's reference read files outside its store).
enum CIDCheck {
    static func validate(_ s: String) throws {
        do { _ = try CID(s) } catch {
            let shown = s.count > 80 ? String(s.prefix(80)) + "…" : s
            throw RouterError.invalidCID(shown, reason: "\(error)")
        }
    }
}
