/// Protocol v0/v1 upload-pack over stateless HTTP. Every POST repeats the
/// wants, then sends haves, ending in a flush (another round will follow) or
/// "done" (send the pack now). We mirror git's multi_ack_detailed replies:
/// "ACK <id> common" per known have, "NAK" at each flush, and after "done"
/// "ACK <last common>" or "NAK" followed by the pack.
struct UploadPackV0 {
    let repository: any GitRepository

    func respond(to body: [UInt8], into out: ResponseSink) async throws {
        var reader = PktLineReader(body)
        var wants: [ObjectID] = []
        var caps = Set<String>()
        var clientShallow = Set<ObjectID>()
        var depth: Int?
        var filter = ObjectWalk.ObjectFilter.none
        // Want section, up to the first flush.
        while true {
            let p: PktLine?
            do { p = try reader.next() } catch { throw ProtocolError.badPktLine(error) }
            guard let p else { break }
            guard case .data = p, let line = p.text else { break }
            if line.hasPrefix("want ") {
                let fields = line.split(separator: " ")
                guard fields.count >= 2, let id = ObjectID(hex: fields[1]) else { throw ProtocolError.malformed("bad want") }
                if wants.isEmpty { caps = Set(fields.dropFirst(2).map(String.init)) }
                wants.append(id)
            } else if line.hasPrefix("shallow ") {
                guard let id = ObjectID(hex: line.dropFirst(8)) else { throw ProtocolError.malformed("bad shallow") }
                clientShallow.insert(id)
            } else if line.hasPrefix("deepen ") {
                guard let n = Int(line.dropFirst(7)), n > 0 else { throw ProtocolError.malformed("bad deepen") }
                depth = n
            } else if line.hasPrefix("filter ") {
                guard let f = ObjectWalk.ObjectFilter(spec: String(line.dropFirst(7))) else { throw ProtocolError.unsupported(line) }
                filter = f
            } else if line.hasPrefix("deepen-") {
                throw ProtocolError.unsupported(line)
            }
        }
        // A body with no wants means the client is already up to date.
        if wants.isEmpty { return }
        for id in wants where try await !repository.hasObject(id) {
            throw ProtocolError.notOurRef(id)
        }

        let multiAck = caps.contains("multi_ack_detailed") || caps.contains("multi_ack")
        let detailed = caps.contains("multi_ack_detailed")
        var w = PktLineWriter()
        // A deepening client expects the new shallow boundary at the start of
        // every response (it repeats "deepen" in each stateless request).
        // With a depth the boundary does not depend on the haves.
        if depth != nil {
            let boundary = try await ObjectWalk.plan(
                .init(wants: wants, clientShallow: clientShallow, depth: depth, commitsOnly: true), repository: repository)
            for id in boundary.shallow { w.text("shallow \(id.hex)") }
            for id in boundary.unshallow { w.text("unshallow \(id.hex)") }
            w.flush()
        }
        var common: [ObjectID] = []
        var done = false
        while true {
            let p: PktLine?
            do { p = try reader.next() } catch { throw ProtocolError.badPktLine(error) }
            guard let p else { break }
            switch p {
            case .flush:
                // git answers NAK at a flush when in multi-ack mode or when
                // nothing is common yet.
                if multiAck || common.isEmpty { w.text("NAK") }
            case .data:
                let line = p.text ?? ""
                if line == "done" {
                    done = true
                } else if line.hasPrefix("have ") {
                    guard let id = ObjectID(hex: line.dropFirst(5)) else { throw ProtocolError.malformed("bad have") }
                    if try await repository.hasObject(id) {
                        if multiAck {
                            w.text("ACK \(id.hex)" + (detailed ? " common" : " continue"))
                        } else if common.isEmpty {
                            w.text("ACK \(id.hex)")
                        }
                        common.append(id)
                    }
                }
            default:
                throw ProtocolError.malformed("unexpected marker")
            }
            if done { break }
        }
        // Without "done" this round only carries acknowledgements.
        guard done else { try await out.write(w.bytes); return }

        if let last = common.last {
            if multiAck { w.text("ACK \(last.hex)") }
        } else {
            w.text("NAK")
        }
        try await out.write(w.bytes)
        let framing: PackStream.Framing = caps.contains("side-band-64k") ? .sideBand64k
            : caps.contains("side-band") ? .sideBand : .none
        let plan = try await ObjectWalk.plan(
            .init(wants: wants, haves: common, clientShallow: clientShallow, depth: depth, filter: filter),
            repository: repository)
        try await PackStream.write(ids: plan.objects, repository: repository, framing: framing,
                                   progress: !caps.contains("no-progress"), into: out)
        if framing != .none { try await out.write(PktLine.flush.bytes) }
    }
}
