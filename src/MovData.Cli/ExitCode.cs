namespace MovData.Cli;

/// <summary>The exit codes, the same for every verb.</summary>
internal enum ExitCode
{
    /// <summary>Done.</summary>
    Success = 0,

    /// <summary>The operation failed (an I/O error, no space, permission denied), after saying how far it got.</summary>
    Failed = 1,

    /// <summary>A usage error or a broken rule of the contract; nothing changed.</summary>
    Usage = 2,

    /// <summary>Not supported on this filesystem under the options given; nothing changed.</summary>
    NotSupported = 3,

    /// <summary>Interrupted (SIGINT, SIGTERM): stopped at a step boundary with the files
    /// consistent, the rest recorded for `movdata recover` (128 + SIGINT, as shells report it).</summary>
    Interrupted = 130,
}
