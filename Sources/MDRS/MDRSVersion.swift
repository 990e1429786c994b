public enum MDRSVersion { public static let string = "0.1.0" }
