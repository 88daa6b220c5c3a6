/// The two smart-HTTP services.
public enum GitServiceName: String, Sendable, CaseIterable {
    case uploadPack = "git-upload-pack"     // fetch / clone / pull
    case receivePack = "git-receive-pack"   // push

    public var advertisementContentType: String { "application/x-\(rawValue)-advertisement" }
    public var requestContentType: String { "application/x-\(rawValue)-request" }
    public var resultContentType: String { "application/x-\(rawValue)-result" }
}

/// Reads the protocol version out of a `Git-Protocol` header, which holds
/// colon-separated key=value pairs ("version=2", "version=2:foo=bar").
public func gitProtocolVersion(_ header: String?) -> Int {
    guard let header else { return 0 }
    var best = 0
    for part in header.split(separator: ":") where part.hasPrefix("version=") {
        if let v = Int(part.dropFirst("version=".count)) { best = max(best, v) }
    }
    return best
}

/// Builds the GET /info/refs bodies.
struct Advertiser {
    let agent: String

    /// Capabilities for v0/v1 upload-pack. "shallow" covers "deepen N" only;
    /// "filter" covers blob:none and blob:limit (see ObjectWalk.ObjectFilter).
    /// multi_ack_detailed is what git expects for stateless (HTTP) negotiation.
    func uploadPackCapabilities(head: String?) -> [String] {
        var caps = ["multi_ack_detailed", "side-band-64k", "thin-pack", "ofs-delta", "shallow", "filter", "no-progress",
                    "allow-tip-sha1-in-want", "allow-reachable-sha1-in-want"]
        if let head { caps.append("symref=HEAD:\(head)") }
        caps += ["object-format=sha1", "agent=\(agent)"]
        return caps
    }

    func receivePackCapabilities() -> [String] {
        ["report-status", "delete-refs", "side-band-64k", "quiet", "atomic", "ofs-delta",
         "object-format=sha1", "agent=\(agent)"]
    }

    /// Protocol v2: no refs here, just the commands the client may POST.
    func v2Capabilities() -> [UInt8] {
        var w = PktLineWriter()
        w.text("version 2")
        w.text("agent=\(agent)")
        w.text("ls-refs=unborn")
        w.text("fetch=shallow filter")
        w.text("object-format=sha1")
        w.flush()
        return w.bytes
    }

    /// v0/v1: "# service=…" preamble (smart HTTP only), then one line per ref
    /// with the capability list after a NUL on the first line.
    func v0Refs(service: GitServiceName, snapshot: RefSnapshot, peeled: [String: ObjectID], version: Int = 0) -> [UInt8] {
        var w = PktLineWriter()
        w.text("# service=\(service.rawValue)")
        w.flush()
        // Protocol v1 is v0 plus this line, confirming the requested version.
        if version == 1 { w.text("version 1") }
        var lines: [(ObjectID, String)] = []
        // upload-pack lists HEAD first so clients learn the default branch;
        // receive-pack does not (HEAD is not pushable).
        if service == .uploadPack, let h = snapshot.headID { lines.append((h, "HEAD")) }
        for (name, id) in snapshot.sorted {
            lines.append((id, name))
            if let p = peeled[name] { lines.append((p, name + "^{}")) }
        }
        let caps = (service == .uploadPack ? uploadPackCapabilities(head: snapshot.head) : receivePackCapabilities())
            .joined(separator: " ")
        if lines.isEmpty {
            // An empty repository still has to carry the capabilities.
            w.data(Array("\(ObjectID.zero.hex) capabilities^{}\0\(caps)\n".utf8))
        }
        for (i, (id, name)) in lines.enumerated() {
            if i == 0 {
                w.data(Array("\(id.hex) \(name)\0\(caps)\n".utf8))
            } else {
                w.text("\(id.hex) \(name)")
            }
        }
        w.flush()
        return w.bytes
    }
}

/// Peeled targets of annotated tags among the refs ("refs/tags/v1" → commit).
func peeledTags(_ snapshot: RefSnapshot, repository: any GitRepository) async throws -> [String: ObjectID] {
    var out: [String: ObjectID] = [:]
    for (name, id) in snapshot.refs where name.hasPrefix("refs/tags/") {
        var cur = id
        // Tags can point at tags; bound the chain.
        for _ in 0..<8 {
            guard let o = try await repository.object(cur), o.type == .tag, let t = ObjectWalk.tagTarget(o.data) else { break }
            cur = t
        }
        if cur != id { out[name] = cur }
    }
    return out
}
