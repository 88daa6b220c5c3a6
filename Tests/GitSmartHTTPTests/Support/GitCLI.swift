import Foundation

/// Runs the real git binary. Output goes to temp files (not pipes, which can
/// fill up and deadlock), and completion is awaited through the termination
/// handler so no cooperative thread blocks while git talks to our server.
struct GitResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: [UInt8]
    var ok: Bool { status == 0 }
}

enum GitCLI {
    /// An isolated environment: no user/system config, no prompts.
    static func environment(home: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = home + "/.gitconfig"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_AUTHOR_NAME"] = "Test Author"
        env["GIT_AUTHOR_EMAIL"] = "author@example.com"
        env["GIT_COMMITTER_NAME"] = "Test Committer"
        env["GIT_COMMITTER_EMAIL"] = "committer@example.com"
        env["GIT_ASKPASS"] = nil
        env["SSH_ASKPASS"] = nil
        env.removeValue(forKey: "GIT_DIR")
        env.removeValue(forKey: "GIT_WORK_TREE")
        return env
    }

    @discardableResult
    static func run(_ args: [String], cwd: String, env: [String: String] = [:], stdin: [UInt8]? = nil) async throws -> GitResult {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("gitcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("out"), errURL = tmp.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var environment = environment(home: env["HOME"] ?? cwd)
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let outH = try FileHandle(forWritingTo: outURL), errH = try FileHandle(forWritingTo: errURL)
        p.standardOutput = outH
        p.standardError = errH
        if let stdin {
            let inURL = tmp.appendingPathComponent("in")
            try Data(stdin).write(to: inURL)
            p.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        let status: Int32 = try await withCheckedThrowingContinuation { cont in
            p.terminationHandler = { cont.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch { p.terminationHandler = nil; cont.resume(throwing: error) }
        }
        try outH.close(); try errH.close()
        let out = try Data(contentsOf: outURL), err = try Data(contentsOf: errURL)
        return GitResult(status: status, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self), stdoutBytes: [UInt8](out))
    }

    static func tempDir(_ label: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gsh-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A fresh repository for object-level comparisons.
    static func initRepo(_ label: String) async throws -> String {
        let dir = try tempDir(label)
        let r = try await run(["init", "-q", "-b", "main", dir], cwd: dir, env: ["HOME": dir])
        precondition(r.ok, r.stderr)
        return dir
    }
}
