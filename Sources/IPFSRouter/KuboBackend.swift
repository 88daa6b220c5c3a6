import Foundation

/// The `kubo` backend: a Kubo node through its HTTP RPC API (`KUBO_API`) and, where no API answers,
/// through the `KUBO_CMD` command line.
public final class KuboBackend: IPFSBackend, @unchecked Sendable {
    public let name: String
    let rpc: KuboRPCClient
    let cli: KuboCLI
    let probeTimeout: Double
    private let lock = NSLock()
    private var cached: (mode: Mode, reason: String, at: Date)?

    enum Mode { case rpc, cli, none }

    public init(settings: RouterSettings, name: String = "kubo") {
        self.name = name
        rpc = KuboRPCClient(baseURL: settings.kuboAPI, timeout: settings.operationTimeout)
        cli = KuboCLI(command: settings.kuboCommand, timeout: settings.operationTimeout)
        probeTimeout = settings.probeTimeout
    }

    /// Which way to reach Kubo now; remembered for a second so a burst of operations probes once,
    /// and forgotten on a failure so a node that died is noticed at once.
    func mode() async -> (Mode, String) {
        if let c = lock.withLock({ cached }), Date().timeIntervalSince(c.at) < 1 { return (c.mode, c.reason) }
        var result: (Mode, String)
        let probe = KuboRPCClient(baseURL: rpc.baseURL, timeout: probeTimeout, client: rpc.client)
        do {
            let v = try await probe.version()
            result = (.rpc, "Kubo RPC at \(rpc.baseURL) (version \(v))")
        } catch {
            let rpcWhy = "no Kubo RPC at \(rpc.baseURL) (\(error))"
            do {
                let v = try await cli.version(timeout: max(probeTimeout, 10))
                result = (.cli, "KUBO_CMD '\(cli.command)' (\(v)); \(rpcWhy)")
            } catch {
                result = (.none, "\(rpcWhy); KUBO_CMD: \(error)")
            }
        }
        let r = result
        lock.withLock { cached = (r.0, r.1, Date()) }
        return r
    }

    func forget() { lock.withLock { cached = nil } }

    public func availability() async -> BackendAvailability {
        let (m, why) = await mode()
        return m == .none ? .unavailable(why) : .available(why)
    }

    /// Runs the RPC or the CLI form of an operation, whichever reaches Kubo now.
    func via<T>(_ rpcForm: () async throws -> T, _ cliForm: () async throws -> T) async throws -> T {
        let (m, why) = await mode()
        do {
            switch m {
            case .rpc: return try await rpcForm()
            case .cli: return try await cliForm()
            case .none: throw BackendError.unavailable(why)
            }
        } catch let e as BackendError {
            if case .notFound = e {} else { forget() }
            throw e
        }
    }

    public func addBytes(_ data: Data, pin: Bool) async throws -> String {
        try await via({
            var form = MultipartForm()
            form.addData(data, filename: "data")
            return try await rpc.add(form, options: .kuboDefault, pin: pin).last!.Hash
        }, {
            try await withTemporaryFile(data) { try await cli.add($0, recursive: false, pin: pin, options: .kuboDefault) }
        })
    }

    public func cat(_ cid: String) async throws -> Data {
        try await via({ try await rpc.collect(try await rpc.cat(cid, range: nil)) },
                      { try await cli.run(["cat", cid], cid: cid) })
    }

    public func catStream(_ cid: String, range: ByteRange?) async throws -> AsyncThrowingStream<Data, any Error> {
        try await via({ rpc.stream(try await rpc.cat(cid, range: range)) }, {
            var a = ["cat", cid]
            if let r = range { a += ["--offset=\(r.offset)"] + (r.length.map { ["--length=\($0)"] } ?? []) }
            let d = try await cli.run(a, cid: cid)
            return AsyncThrowingStream { $0.yield(d); $0.finish() }
        })
    }

    public func pin(_ cid: String) async throws {
        try await via({ try await rpc.pinAdd(cid) }, { _ = try await cli.run(["pin", "add", cid], cid: cid) })
    }

    public func unpin(_ cid: String) async throws {
        try await via({ try await rpc.pinRm(cid) }, { _ = try await cli.run(["pin", "rm", cid], cid: cid) })
    }

    public func pins() async throws -> [String] {
        try await via({ try await rpc.pinLs() }, {
            String(decoding: try await cli.run(["pin", "ls", "--type=recursive", "-q"]), as: UTF8.self)
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.sorted()
        })
    }

    public func blockPut(_ data: Data, codec: String) async throws -> String {
        try await via({ try await rpc.blockPut(data, codec: codec) }, {
            try await withTemporaryFile(data) {
                KuboCLI.firstLine(try await cli.run(["block", "put", "--cid-codec=\(codec)", "--mhtype=sha2-256", $0]))
            }
        })
    }

    public func blockGet(_ cid: String) async throws -> Data {
        try await via({ try await rpc.blockGet(cid) }, { try await cli.run(["block", "get", cid], cid: cid) })
    }

    public func addPath(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String {
        try await via({
            var form = MultipartForm()
            try form.addTree(path, includeHidden: options.includeHidden)
            return try await rpc.add(form, options: options, pin: pin).last!.Hash
        }, { try await cli.add(path, recursive: recursive, pin: pin, options: options) })
    }

    public func getToPath(_ cid: String, outputPath: String) async throws {
        try await via({
            let resp = try await rpc.get(cid)
            try await writeAtomically(outputPath) { tmp in
                var tar = TarExtractor(outputPath: tmp)
                for try await chunk in rpc.stream(resp) { try tar.feed(chunk) }
                try tar.finish()
            }
        }, {
            try await writeAtomically(outputPath) { tmp in _ = try await cli.run(["get", cid, "-o", tmp], cid: cid) }
        })
    }

    public func ls(_ cid: String) async throws -> [LsEntry] {
        try await via({ try await rpc.ls(cid) }, { try await cli.ls(cid) })
    }

    public func dagExport(_ cid: String) async throws -> AsyncThrowingStream<Data, any Error> {
        try await via({ rpc.stream(try await rpc.dagExport(cid)) }, {
            let d = try await cli.run(["dag", "export", cid], cid: cid)
            return AsyncThrowingStream { $0.yield(d); $0.finish() }
        })
    }

    public func dagImport(_ car: Data, pinRoots: Bool) async throws -> [String] {
        try await via({ try await rpc.dagImport(car, pinRoots: pinRoots) }, {
            try await withTemporaryFile(car) { path in
                // "Pinned root\t<cid>\tsuccess"
                String(decoding: try await cli.run(["dag", "import", "--pin-roots=\(pinRoots)", path]), as: UTF8.self)
                    .split(whereSeparator: \.isNewline).compactMap { line in
                        let f = line.split(separator: "\t")
                        return f.count >= 2 && f[0].hasPrefix("Pinned root") ? String(f[1]) : nil
                    }
            }
        })
    }
}

/// Writes `data` to a temporary file for the duration of `body`.
func withTemporaryFile<T>(_ data: Data, _ body: (String) async throws -> T) async throws -> T {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("ipfs-accelerate-\(UUID().uuidString)")
    try data.write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Builds `outputPath` beside itself and renames it into place, so a failed or interrupted
/// transfer never leaves a half-written file or folder where the caller looks.
public func writeAtomically(_ outputPath: String, _ body: (String) async throws -> Void) async throws {
    let fm = FileManager.default
    let parent = (outputPath as NSString).deletingLastPathComponent
    if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    let tmp = (parent.isEmpty ? "." : parent) + "/.\((outputPath as NSString).lastPathComponent).partial-\(UUID().uuidString.prefix(8))"
    do {
        try await body(tmp)
        guard fm.fileExists(atPath: tmp) else { throw BackendError.failed("nothing was written for \(outputPath)") }
        if fm.fileExists(atPath: outputPath) { try fm.removeItem(atPath: outputPath) }
        try fm.moveItem(atPath: tmp, toPath: outputPath)
    } catch {
        try? fm.removeItem(atPath: tmp)
        throw error
    }
}
