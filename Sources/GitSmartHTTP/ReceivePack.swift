/// receive-pack (push): commands, then a pack, answered by report-status.
/// Validation happens here so the repository only ever sees pushes whose
/// objects are complete and well-formed; policy (permissions, fast-forward,
/// compare-and-swap against its database) stays with the repository.
package struct ReceivePack {
    let repository: any GitRepository
    let limits: PackLimits

    package struct Parsed {
        package var updates: [RefUpdate]
        package var capabilities: Set<String>
        package var pack: ArraySlice<UInt8>
    }

    package static func parse(_ body: [UInt8]) throws(ProtocolError) -> Parsed {
        var reader = PktLineReader(body)
        var updates: [RefUpdate] = []
        var caps = Set<String>()
        while true {
            let p: PktLine?
            do { p = try reader.next() } catch { throw .badPktLine(error) }
            guard let p, case .data(var line) = p else { break }
            // Capabilities follow a NUL on the first command only.
            if let nul = line.firstIndex(of: 0) {
                if updates.isEmpty {
                    let capText = String(decoding: line[(nul + 1)...], as: UTF8.self)
                    caps = Set(capText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
                }
                line = Array(line[..<nul])
            }
            if line.last == UInt8(ascii: "\n") { line.removeLast() }
            if line.starts(with: "shallow ".utf8) { continue }
            // "<40 hex> <40 hex> <refname>"
            guard line.count > 82, line[40] == UInt8(ascii: " "), line[81] == UInt8(ascii: " "),
                  let old = ObjectID(hexBytes: line[0..<40]), let new = ObjectID(hexBytes: line[41..<81]) else {
                throw .malformed("bad push command")
            }
            updates.append(RefUpdate(refName: String(decoding: line[82...], as: UTF8.self), oldID: old, newID: new))
        }
        return Parsed(updates: updates, capabilities: caps, pack: reader.remainder)
    }

    func respond(to body: [UInt8]) async throws -> [UInt8] {
        let parsed = try ReceivePack.parse(body)
        if parsed.updates.isEmpty { return [] }
        let sideBand = parsed.capabilities.contains("side-band-64k")

        var objects: [ObjectID: GitObject] = [:]
        var order: [ObjectID] = []
        var unpackError: String?
        // Deletes send no pack; pointing a ref at objects the server already
        // has may send an empty one. Either way connectivity is checked below.
        if !parsed.pack.isEmpty {
            do {
                let contents = try await readPack(Array(parsed.pack))
                objects = contents.objects
                order = contents.order
            } catch {
                unpackError = "\(error)"
            }
        }

        var results = [RefUpdateResult?](repeating: nil, count: parsed.updates.count)
        if unpackError != nil {
            results = results.map { _ in .rejected("unpacker error") }
        } else {
            var seen: [String: Int] = [:]
            for u in parsed.updates { seen[u.refName, default: 0] += 1 }
            for (i, u) in parsed.updates.enumerated() {
                // Two commands for one ref would make the outcome depend on order.
                results[i] = seen[u.refName]! > 1 ? .rejected("duplicate ref update") : try await precheck(u, objects: objects)
            }
        }
        let atomic = parsed.capabilities.contains("atomic")
        if atomic, results.contains(where: { $0 != nil }) {
            results = results.map { $0 ?? .rejected("atomic push failed") }
        }
        let pending = parsed.updates.indices.filter { results[$0] == nil }
        if !pending.isEmpty {
            let repo = repository
            let request = PushRequest(updates: pending.map { parsed.updates[$0] }, objects: objects, order: order,
                                      atomic: atomic, fallback: { try await repo.object($0) })
            do {
                let answers = try await repository.receive(request)
                for (k, i) in pending.enumerated() {
                    results[i] = k < answers.count ? answers[k] : .rejected("no result from repository")
                }
            } catch {
                for i in pending { results[i] = .rejected(oneLine("\(error)")) }
            }
        }

        var report = PktLineWriter()
        report.text("unpack " + (unpackError.map(oneLine) ?? "ok"))
        for (u, r) in zip(parsed.updates, results) {
            switch r ?? .rejected("internal error") {
            case .ok: report.text("ok \(u.refName)")
            case .rejected(let why): report.text("ng \(u.refName) \(oneLine(why))")
            }
        }
        report.flush()
        // A client that did not ask for a report gets none (git always asks).
        guard parsed.capabilities.contains("report-status") else { return [] }
        guard sideBand else { return report.bytes }
        // With side-band the whole report, pkt-lines included, is band-1 data.
        var out = SideBand.frame(report.bytes, band: .data)
        out += PktLine.flush.bytes
        return out
    }

    /// Reads the pack, fetching thin-pack bases from the repository in rounds
    /// (a base may only be identifiable once another delta is resolved).
    private func readPack(_ data: [UInt8]) async throws -> PackContents {
        let reader = try PackReader(data, limits: limits)
        var bases: [ObjectID: GitObject] = [:]
        while true {
            // (A do/catch with a typed-throws pattern here crashes the 6.3
            // compiler's ownership verifier; Result sidesteps it.)
            let b = bases
            let attempt = Result { () throws(PackError) -> PackContents in try reader.resolve(externalBase: { b[$0] }) }
            switch attempt {
            case .success(let contents):
                return contents
            case .failure(.missingBases(let ids)):
                var found = false
                for id in ids where bases[id] == nil {
                    if let o = try await repository.object(id) {
                        bases[id] = o
                        found = true
                    }
                }
                if !found { throw PackError.missingBases(ids) }
            case .failure(let other):
                throw other
            }
        }
    }

    /// Checks that need no policy: ref name syntax, object presence and type,
    /// and connectivity of the new tip.
    private func precheck(_ u: RefUpdate, objects: [ObjectID: GitObject]) async throws -> RefUpdateResult? {
        guard isValidRefName(u.refName) else { return .rejected("funny refname") }
        if u.isDelete { return nil }
        let obj: GitObject?
        if let o = objects[u.newID] { obj = o } else { obj = try await repository.object(u.newID) }
        guard let obj else { return .rejected("missing necessary objects") }
        if u.refName.hasPrefix("refs/heads/"), obj.type != .commit { return .rejected("branch must point to a commit") }
        do {
            let repo = repository
            let ok = try await ObjectWalk.isConnected(tip: u.newID, received: objects,
                                                      repositoryHas: { try await repo.hasObject($0) })
            if !ok { return .rejected("missing necessary objects") }
        } catch let e as GitObjectError {
            return .rejected("invalid object: \(e)")
        }
        return nil
    }
}

/// A subset of `git check-ref-format`: enough to refuse names that could
/// escape a ref namespace or confuse clients.
public func isValidRefName(_ name: String) -> Bool {
    guard name.hasPrefix("refs/"), !name.hasSuffix("/"), !name.hasSuffix(".lock"), !name.hasSuffix("."),
          !name.contains(".."), !name.contains("//"), !name.contains("@{"), name != "refs/" else { return false }
    for c in name.unicodeScalars {
        if c.value < 0x20 || c.value == 0x7F { return false }
        if " ~^:?*[\\".unicodeScalars.contains(c) { return false }
    }
    for comp in name.split(separator: "/") where comp.hasPrefix(".") { return false }
    return true
}

func oneLine(_ s: String) -> String {
    String(s.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
}
