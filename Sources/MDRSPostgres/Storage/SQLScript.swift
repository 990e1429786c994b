import Foundation

/// Splits an SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks only the extended query protocol, which runs one statement per query; a
/// migration file holds many. The splitter understands quoted strings and identifiers,
/// dollar-quoted bodies (`$$ ... $$`, `$tag$ ... $tag$`) and both comment forms, so semicolons
/// inside them do not split.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements = [String]()
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty && !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }

        func copy(until terminator: [Unicode.Scalar]) {
            while index < characters.count {
                if Array(characters[index..<min(index + terminator.count, characters.count)]) == terminator {
                    current.append(contentsOf: terminator)
                    index += terminator.count
                    return
                }
                current.append(characters[index])
                index += 1
            }
        }

        while index < characters.count {
            let c = characters[index]
            let next: Unicode.Scalar? = index + 1 < characters.count ? characters[index + 1] : nil
            switch c {
            case "'", "\"":
                current.append(c)
                index += 1
                copy(until: [c])
            case "-" where next == "-":
                copy(until: ["\n"])
            case "/" where next == "*":
                current.append(contentsOf: ["/", "*"])
                index += 2
                copy(until: ["*", "/"])
            case "$":
                var end = index + 1
                while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic
                    || ("0"..."9").contains(characters[end])
                {
                    end += 1
                }
                if end < characters.count, characters[end] == "$" {
                    let tag = Array(characters[index...end])
                    current.append(contentsOf: tag)
                    index = end + 1
                    copy(until: tag)
                } else {
                    current.append(c)
                    index += 1
                }
            case ";":
                index += 1
                flush()
            default:
                current.append(c)
                index += 1
            }
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }
}
