/// The process's open-file limit (RLIMIT_NOFILE), which bounds how many connections it holds.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit and returns the new soft limit (-1 on failure).
    @discardableResult
    public static func raiseToHardLimit() -> Int { Syscall.raiseFileLimit() }

    /// Sets the soft limit (capped at the hard limit) and returns it; lowering it is how tests
    /// provoke EMFILE.
    @discardableResult
    public static func setSoftLimit(_ value: Int) -> Int { Syscall.setFileLimit(value) }
}
