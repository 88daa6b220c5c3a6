import Foundation
import Primitives

/// The shared lock box (Sources/Primitives/Locked.swift), under the name this target's files use.
typealias Locked = Primitives.Locked

/// Monotonic seconds; controls take a clock so tests can move time.
public typealias MonotonicClock = @Sendable () -> Double

public let systemMonotonicClock: MonotonicClock = {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
