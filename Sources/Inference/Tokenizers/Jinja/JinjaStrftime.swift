import Foundation

/// C `strftime` in the "C" locale, as Python's `datetime.now().strftime` (transformers'
/// `strftime_now`) produces it, in the machine's local time.
enum JinjaStrftime {
    private static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                                 "October", "November", "December"]

    static func format(_ date: Date, _ format: String, timeZone: TimeZone = .current) throws -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let (year, month, day) = (c.year!, c.month!, c.day!)
        let (hour, minute, second) = (c.hour!, c.minute!, c.second!)
        let weekday = c.weekday! - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ n: Int, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out = ""
        var it = format.makeIterator()
        while let ch = it.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard let code = it.next() else { out.append("%"); break }
            switch code {
            case "d": out += pad(day)
            case "e": out += (day < 10 ? " " : "") + String(day)
            case "m": out += pad(month)
            case "Y": out += String(year)
            case "y": out += pad(year % 100)
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "a": out += String(days[weekday].prefix(3))
            case "A": out += days[weekday]
            case "w": out += String(weekday)
            case "j": out += pad(dayOfYear, 3)
            case "H": out += pad(hour)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12)
            case "M": out += pad(minute)
            case "S": out += pad(second)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "f": out += pad((c.nanosecond ?? 0) / 1000, 6)
            case "F": out += "\(year)-\(pad(month))-\(pad(day))"
            case "T": out += "\(pad(hour)):\(pad(minute)):\(pad(second))"
            case "D": out += "\(pad(month))/\(pad(day))/\(pad(year % 100))"
            case "%": out += "%"
            default: throw JinjaError.unsupported(line: 0, feature: "strftime format code %\(code)")
            }
        }
        return out
    }
}
