import Foundation
import Testing
import Hub

@Suite struct SigningSecretTests {
    func freshDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func processesStartingTogetherAgreeOnOneSecret() async throws {
        let dir = try freshDirectory()
        let secrets = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<16 { group.addTask { try HubServer.loadSecret(dataDirectory: dir) } }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(Set(secrets).count == 1)
        #expect(try Data(contentsOf: dir.appendingPathComponent("hub-secret")) == Data(secrets[0]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["hub-secret"])
    }

    @Test func aDamagedSecretIsAnErrorAndIsNotReplaced() throws {
        let dir = try freshDirectory()
        let file = dir.appendingPathComponent("hub-secret")
        try Data("short".utf8).write(to: file)
        #expect(throws: ContentStoreError.self) { try HubServer.loadSecret(dataDirectory: dir) }
        #expect(try Data(contentsOf: file) == Data("short".utf8))
    }
}
