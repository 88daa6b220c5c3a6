import Foundation

/// Kubo through its command line (`KUBO_CMD`, default `ipfs`): `add -Q`, `cat`, `get`, `pin`, `ls`,
/// `block`, `dag`. Every call is bounded by the router's timeout.
struct KuboCLI: Sendable {
    let command: String
    let timeout: Double

    func executable() throws -> String {
        guard let p = ProcessRunner.resolve(command) else {
            throw BackendError.unavailable("KUBO_CMD '\(command)' is not an executable on PATH")
        }
        return p
    }

    func run(_ args: [String], cid: String? = nil, timeout t: Double? = nil) async throws -> Data {
        let out = try await ProcessRunner.run(try executable(), args, timeout: t ?? timeout)
        guard out.status == 0 else {
            let message = String(decoding: out.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if KuboRPCClient.meansNotFound(message) { throw BackendError.notFound(cid ?? message) }
            throw BackendError.failed("\(command) \(args.first ?? "") exited with \(out.status): \(message.suffix(500))")
        }
        return out.stdout
    }

    static func firstLine(_ d: Data) -> String {
        String(decoding: d, as: UTF8.self).split(whereSeparator: \.isNewline).last.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
    }

    func version(timeout t: Double) async throws -> String {
        Self.firstLine(try await run(["version"], timeout: t))
    }

    func add(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String {
        var a = ["add", "-Q", "--pin=\(pin)"]
        if recursive { a.append("-r") }
        if let v = options.cidVersion { a.append("--cid-version=\(v)") }
        if let r = options.rawLeaves { a.append("--raw-leaves=\(r)") }
        if let c = options.chunker { a.append("--chunker=\(c)") }
        if options.wrapWithDirectory { a.append("-w") }
        if options.onlyHash { a.append("-n") }
        if options.includeHidden { a.append("--hidden") }
        a.append(path)
        let cid = Self.firstLine(try await run(a))
        guard !cid.isEmpty else { throw BackendError.failed("\(command) add printed no CID") }
        return cid
    }

    func ls(_ cid: String) async throws -> [LsEntry] {
        // `ipfs ls --size --resolve-type CID`: "<cid> <size> <name>", folders end in "/".
        let text = String(decoding: try await run(["ls", "--size=true", "--resolve-type=true", cid], cid: cid), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard f.count == 3 else { return nil }
            let dir = f[2].hasSuffix("/")
            return LsEntry(name: dir ? String(f[2].dropLast()) : String(f[2]), cid: String(f[0]),
                           size: UInt64(f[1]) ?? 0, kind: dir ? .directory : .file)
        }
    }
}
