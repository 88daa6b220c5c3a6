/// Protocol v2 upload-pack: each POST carries one command ("ls-refs" or
/// "fetch"), its capabilities, a delimiter, and its arguments.
struct UploadPackV2 {
    let repository: any GitRepository

    struct Command {
        var name: String
        var args: [String]
    }

    static func parseCommands(_ body: [UInt8]) throws(ProtocolError) -> [Command] {
        var reader = PktLineReader(body)
        var commands: [Command] = []
        do {
            while !reader.isAtEnd {
                let (head, term) = try reader.section()
                if head.isEmpty {
                    if term == nil { break }
                    continue  // a stray flush between commands
                }
                guard let first = PktLine.data(head[0]).text, first.hasPrefix("command=") else {
                    throw ProtocolError.malformed("expected command=")
                }
                var args: [String] = []
                if term == .delimiter {
                    let (a, _) = try reader.section()
                    args = a.map { PktLine.data($0).text ?? "" }
                }
                commands.append(Command(name: String(first.dropFirst("command=".count)), args: args))
            }
        } catch let e as PktLineError {
            throw .badPktLine(e)
        } catch let e as ProtocolError {
            throw e
        } catch {
            throw .malformed("\(error)")
        }
        return commands
    }

    func respond(to body: [UInt8], into out: ResponseSink) async throws {
        for cmd in try UploadPackV2.parseCommands(body) {
            switch cmd.name {
            case "ls-refs": try await out.write(try await lsRefs(cmd.args))
            case "fetch": try await fetch(cmd.args, into: out)
            default: throw ProtocolError.malformed("unknown command \(cmd.name)")
            }
        }
    }

    func lsRefs(_ args: [String]) async throws -> [UInt8] {
        var symrefs = false, peel = false, unborn = false
        var prefixes: [String] = []
        for a in args {
            if a == "symrefs" { symrefs = true }
            else if a == "peel" { peel = true }
            else if a == "unborn" { unborn = true }
            else if a.hasPrefix("ref-prefix ") { prefixes.append(String(a.dropFirst("ref-prefix ".count))) }
        }
        func wanted(_ name: String) -> Bool { prefixes.isEmpty || prefixes.contains { name.hasPrefix($0) } }

        let snap = try await repository.refs()
        let peeled = peel ? try await peeledTags(snap, repository: repository) : [:]
        var w = PktLineWriter()
        if wanted("HEAD"), let target = snap.head {
            let sym = symrefs ? " symref-target:\(target)" : ""
            if let id = snap.headID {
                w.text("\(id.hex) HEAD\(sym)")
            } else if unborn {
                // Lets `git clone` of an empty repository pick the right
                // default branch name.
                w.text("unborn HEAD\(sym)")
            }
        }
        for (name, id) in snap.sorted where wanted(name) {
            w.text("\(id.hex) \(name)" + (peeled[name].map { " peeled:\($0.hex)" } ?? ""))
        }
        w.flush()
        return w.bytes
    }

    func fetch(_ args: [String], into out: ResponseSink) async throws {
        var wants: [ObjectID] = [], haves: [ObjectID] = []
        var clientShallow = Set<ObjectID>()
        var depth: Int?
        var filter = ObjectWalk.ObjectFilter.none
        var done = false, progress = true
        for a in args {
            if a.hasPrefix("want ") {
                guard let id = ObjectID(hex: a.dropFirst(5)) else { throw ProtocolError.malformed("bad want") }
                wants.append(id)
            } else if a.hasPrefix("have ") {
                guard let id = ObjectID(hex: a.dropFirst(5)) else { throw ProtocolError.malformed("bad have") }
                haves.append(id)
            } else if a.hasPrefix("shallow ") {
                guard let id = ObjectID(hex: a.dropFirst(8)) else { throw ProtocolError.malformed("bad shallow") }
                clientShallow.insert(id)
            } else if a.hasPrefix("deepen ") {
                guard let n = Int(a.dropFirst(7)), n > 0 else { throw ProtocolError.malformed("bad deepen") }
                depth = n
            } else if a == "done" {
                done = true
            } else if a == "no-progress" {
                progress = false
            } else if a.hasPrefix("filter ") {
                guard let f = ObjectWalk.ObjectFilter(spec: String(a.dropFirst(7))) else { throw ProtocolError.unsupported(a) }
                filter = f
            } else if a.hasPrefix("deepen-") || a.hasPrefix("want-ref ") {
                // Only plain "deepen N" is implemented; the others are not
                // advertised, so a conforming client does not send them.
                throw ProtocolError.unsupported(a)
            }
            // thin-pack, ofs-delta, include-tag: harmless to ignore since we
            // send full, undeltified objects.
        }
        for id in wants where try await !repository.hasObject(id) {
            throw ProtocolError.notOurRef(id)
        }
        var common: [ObjectID] = []
        for id in haves where try await repository.hasObject(id) { common.append(id) }

        var w = PktLineWriter()
        if !done {
            w.text("acknowledgments")
            if common.isEmpty {
                w.text("NAK")
                w.flush()  // client sends more haves (or done) in the next POST
                try await out.write(w.bytes)
                return
            }
            for id in common { w.text("ACK \(id.hex)") }
            // Any common commit is a good enough base: we exclude everything
            // reachable from it, so negotiating further buys little.
            w.text("ready")
            w.delimiter()
        }
        let plan = try await ObjectWalk.plan(
            .init(wants: wants, haves: common, clientShallow: clientShallow, depth: depth, filter: filter),
            repository: repository)
        if depth != nil || !clientShallow.isEmpty {
            w.text("shallow-info")
            for id in plan.shallow { w.text("shallow \(id.hex)") }
            for id in plan.unshallow { w.text("unshallow \(id.hex)") }
            w.delimiter()
        }
        w.text("packfile")
        try await out.write(w.bytes)
        try await PackStream.write(ids: plan.objects, repository: repository, framing: .sideBand64k, progress: progress, into: out)
        try await out.write(PktLine.flush.bytes)
    }
}

/// Problems with what the client sent (as opposed to our own failures).
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case badPktLine(PktLineError)
    case malformed(String)
    case unsupported(String)
    case notOurRef(ObjectID)

    public var description: String {
        switch self {
        case .badPktLine(let e): "protocol error: bad pkt-line (\(e))"
        case .malformed(let s): "protocol error: \(s)"
        case .unsupported(let s): "unsupported request: \(s)"
        case .notOurRef(let id): "upload-pack: not our ref \(id.hex)"
        }
    }
}
