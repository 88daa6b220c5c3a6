import Foundation
import IPFSRouter
import Testing

/// Selection order and every environment variable the seed documents, with its default.
@Suite struct SelectionTests {
    func builtins() throws -> BackendRegistry {
        try registry([ScriptedBackend("ipfs_kit", .serve(Data())), ScriptedBackend("hf_cache", .serve(Data())),
                      ScriptedBackend("kubo", .serve(Data()))])
    }

    @Test func defaultOrderPrefersIpfsKitThenHfCacheThenKubo() throws {
        let r = BackendRouter(settings: try settings([:]), registry: try builtins())
        let plan = try r.plan()
        #expect(plan.map(\.name) == ["ipfs_kit", "hf_cache", "kubo"])
        #expect(plan.allSatisfy { $0.disabledReason == nil })
        #expect(plan[0].selectedBy == "auto (preferred)")
    }

    @Test func ipfsBackendForcesTheNamedBackendFirst() throws {
        for name in ["hf_cache", "kubo", "ipfs_kit"] {
            let plan = try BackendRouter(settings: try settings(["IPFS_BACKEND": name]), registry: try builtins()).plan()
            #expect(plan.first?.name == name)
            #expect(plan.first?.selectedBy == "IPFS_BACKEND=\(name)")
            #expect(Set(plan.map(\.name)) == ["ipfs_kit", "hf_cache", "kubo"])
        }
    }

    @Test func unknownIpfsBackendIsAnErrorListingTheKnownNames() throws {
        let r = BackendRouter(settings: try settings(["IPFS_BACKEND": "kubbo"]), registry: try builtins())
        #expect {
            try r.plan()
        } throws: { e in
            let m = "\(e)"
            return m.contains("kubbo") && m.contains("ipfs_kit, hf_cache, kubo") && m.contains("IPFS_BACKEND")
        }
    }

    @Test func ipfsBackendAutoOrEmptyMeansAutomatic() throws {
        for v in ["", "auto", "  "] {
            #expect(try settings(["IPFS_BACKEND": v]).forcedBackend == nil)
        }
    }

    @Test func ipfsKitDisableTakesIpfsKitOutWithTheReason() throws {
        for v in ["1", "true", "yes", "on", "TRUE"] {
            let plan = try BackendRouter(settings: try settings(["IPFS_KIT_DISABLE": v]), registry: try builtins()).plan()
            #expect(plan[0].name == "ipfs_kit")
            #expect(plan[0].disabledReason == "disabled by IPFS_KIT_DISABLE=\(v)")
            #expect(plan[1].disabledReason == nil)
        }
        for v in ["0", "false", "no", "off"] {
            #expect(try settings(["IPFS_KIT_DISABLE": v]).ipfsKitEnabled)
        }
    }

    @Test func enableIpfsKitFalseDisablesItAndDefaultsToTrue() throws {
        #expect(try settings([:]).ipfsKitEnabled)
        #expect(try settings(["ENABLE_IPFS_KIT": "true"]).ipfsKitEnabled)
        let s = try settings(["ENABLE_IPFS_KIT": "false"])
        #expect(!s.ipfsKitEnabled)
        #expect(s.disabledReason("ipfs_kit") == "disabled by ENABLE_IPFS_KIT=false")
        // IPFS_KIT_DISABLE wins over ENABLE_IPFS_KIT=true.
        #expect(!(try settings(["ENABLE_IPFS_KIT": "1", "IPFS_KIT_DISABLE": "1"]).ipfsKitEnabled))
    }

    @Test func enableHfCacheFalseDisablesTheLocalStore() throws {
        #expect(try settings([:]).hfCacheEnabled)
        let s = try settings(["ENABLE_HF_CACHE": "0"])
        #expect(!s.hfCacheEnabled)
        #expect(s.disabledReason("hf_cache")?.contains("ENABLE_HF_CACHE") == true)
    }

    @Test func forcingADisabledBackendIsAClearError() throws {
        let r = BackendRouter(settings: try settings(["IPFS_BACKEND": "ipfs_kit", "IPFS_KIT_DISABLE": "1"]), registry: try builtins())
        #expect { try r.plan() } throws: { "\($0)".contains("IPFS_KIT_DISABLE=1") && "\($0)".contains("IPFS_BACKEND=ipfs_kit") }
    }

    @Test func explicitArgumentBeatsProcessDefaultBeatsEnvironment() throws {
        let reg = try builtins()
        try reg.register("custom") { _ in ScriptedBackend("custom", .serve(Data())) }
        try reg.setDefault("hf_cache")
        let r = BackendRouter(settings: try settings(["IPFS_BACKEND": "kubo"]), registry: reg)
        #expect(try r.plan(explicit: "custom").map(\.name) == ["custom", "hf_cache", "kubo", "ipfs_kit"])
        #expect(try r.plan().map(\.name) == ["hf_cache", "kubo", "ipfs_kit"])
        #expect(try r.plan().map(\.selectedBy) == ["process default", "IPFS_BACKEND=kubo", "auto (preferred)"])
        try reg.setDefault(nil)
        #expect(try r.plan().map(\.name) == ["kubo", "ipfs_kit", "hf_cache"])
    }

    @Test func kuboCmdHfHomeAndEndpointsHaveTheSeedDefaults() throws {
        let s = try settings(["HOME": "/home/u"])
        #expect(s.kuboCommand == "ipfs")
        #expect(s.hfHome == "/home/u/.cache/huggingface")
        #expect(s.dataDirectory == "/home/u/.cache/huggingface/ipfs_accelerate")
        #expect(s.kuboAPI == "http://127.0.0.1:5001")
        #expect(s.clusterAPI == "http://127.0.0.1:9094")
        #expect(s.cacheInstances)
        let t = try settings(["KUBO_CMD": "/usr/local/bin/ipfs", "HF_HOME": "/tmp/test_cache",
                              "KUBO_API": "http://127.0.0.1:5002/", "IPFS_ACCELERATE_HOME": "/data/x"])
        #expect(t.kuboCommand == "/usr/local/bin/ipfs")
        #expect(t.hfHome == "/tmp/test_cache")
        #expect(t.kuboAPI == "http://127.0.0.1:5002")
        #expect(t.ipfsKitKuboAPI == "http://127.0.0.1:5002")
        #expect(t.dataDirectory == "/data/x")
        #expect(try settings(["HF_HOME": "/tmp/h"]).dataDirectory == "/tmp/h/ipfs_accelerate")
    }

    @Test func badValuesAreClearErrors() throws {
        #expect { try settings(["ENABLE_HF_CACHE": "maybe"]) } throws: { "\($0)".contains("ENABLE_HF_CACHE='maybe'") }
        #expect { try settings(["IPFS_ROUTER_CACHE": "2"]) } throws: { "\($0)".contains("IPFS_ROUTER_CACHE") }
        #expect { try settings(["KUBO_API": "127.0.0.1:5001"]) } throws: { "\($0)".contains("http://") }
        #expect { try settings(["IPFS_ROUTER_TIMEOUT": "-1"]) } throws: { "\($0)".contains("positive") }
    }

    @Test func routerCacheReusesInstancesOnlyWhenOn() throws {
        let made = Counter()
        let reg = BackendRegistry()
        try reg.register("counted") { _ in made.bump(); return ScriptedBackend("counted", .serve(Data())) }
        let on = try settings([:]), off = try settings(["IPFS_ROUTER_CACHE": "0"])
        let a = try reg.backend(named: "counted", settings: on), b = try reg.backend(named: "counted", settings: on)
        #expect(a as AnyObject === b as AnyObject)
        #expect(made.value == 1)
        let c = try reg.backend(named: "counted", settings: off), d = try reg.backend(named: "counted", settings: off)
        #expect(c as AnyObject !== d as AnyObject)
        #expect(made.value == 3)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func bump() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}

@Suite struct RegistryTests {
    @Test func blankNamesAreRejected() throws {
        let reg = BackendRegistry()
        for name in ["", "   ", "\n"] {
            #expect(throws: RouterError.self) { try reg.register(name) { _ in ScriptedBackend("x", .serve(Data())) } }
            #expect(throws: RouterError.self) { try reg.setDefault(name) }
        }
        #expect(reg.names.isEmpty)
    }

    @Test func backendNamedReturnsTheRegisteredOneAndUnknownNamesListTheKnown() throws {
        let reg = try registry([ScriptedBackend("one", .serve(Data())), ScriptedBackend("two", .serve(Data()))])
        #expect(try reg.backend(named: "two", settings: try settings([:])).name == "two")
        #expect { try reg.backend(named: "three", settings: try settings([:])) } throws: { "\($0)".contains("one, two") }
        #expect { try reg.setDefault("three") } throws: { "\($0)".contains("three") }
        try reg.setDefault("one")
        #expect(reg.defaultBackend == "one")
    }

    @Test func aFactoryThatThrowsBecomesAnActionableError() throws {
        let reg = BackendRegistry()
        struct Broken: Error, CustomStringConvertible { var description: String { "missing credentials" } }
        try reg.register("broken") { _ in throw Broken() }
        #expect { try reg.backend(named: "broken", settings: try settings([:])) } throws: { "\($0)".contains("missing credentials") }
    }

    @Test func registeringAgainReplacesTheFactoryAndDropsTheCachedInstance() throws {
        let reg = BackendRegistry()
        try reg.register("x") { _ in ScriptedBackend("x", .fail("old")) }
        let s = try settings([:])
        let old = try reg.backend(named: "x", settings: s)
        try reg.register("x") { _ in ScriptedBackend("x", .serve(Data())) }
        let new = try reg.backend(named: "x", settings: s)
        #expect(old as AnyObject !== new as AnyObject)
        #expect(reg.names == ["x"])
    }
}
