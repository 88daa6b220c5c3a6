import ArgumentParser
import Foundation
import IPFSRouter

/// `ipfs-accelerate backends`: every backend in selection order, whether it is available, and why.
struct BackendsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the IPFS backends in selection order, which one is in use, and why the others are not.")

    @OptionGroup var options: RouterOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let router = try options.makeRouter()
        let status: [BackendRouter.BackendStatus]
        do { status = try await router.status(explicit: options.backend) } catch { throw ValidationError("\(error)") }
        if json {
            let rows = status.map { s in
                BackendRow(name: s.name, selected_by: s.selectedBy, enabled: s.enabled, available: s.availability.isAvailable,
                           in_use: s.inUse, reason: s.availability.reason)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        let width = max(8, status.map(\.name.count).max() ?? 8)
        for s in status {
            let state = s.inUse ? "IN USE" : s.availability.isAvailable ? "available" : s.enabled ? "unavailable" : "disabled"
            print("\(s.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(state.padding(toLength: 11, withPad: " ", startingAt: 0))  [\(s.selectedBy)] \(s.availability.reason)")
        }
        if !status.contains(where: \.inUse) {
            throw ValidationError("no backend is available; see the reasons above")
        }
    }
}

/// One backend in `backends --json`.
private struct BackendRow: Encodable {
    var name: String
    var selected_by: String
    var enabled: Bool
    var available: Bool
    var in_use: Bool
    var reason: String
}
