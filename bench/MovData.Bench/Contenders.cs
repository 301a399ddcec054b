using Microsoft.Win32.SafeHandles;
using MovData.Native;
using System.Diagnostics;

namespace MovData.Bench;

/// <summary>One way of moving a range from one file into the hole of another, durably.</summary>
internal abstract record Contender(string Name)
{
    /// <summary>Moves [0, length) of <paramref name="from"/> to [0, length) of <paramref name="to"/>; the result is durable when it returns.</summary>
    internal abstract void Move(string from, string to, long length);

    /// <summary>Peak resident memory of the last run in KiB, where the contender is a process.</summary>
    internal long? LastMaxRssKiB { get; set; }

    protected static void Checked(int errno)
    {
        if (errno != 0)
        {
            throw new IOException($"errno {errno}");
        }
    }
}

/// <summary>MovData's Move, in process.</summary>
internal sealed record MovDataInProcess() : Contender("movdata")
{
    internal override void Move(string from, string to, long length) => FileRange.Move(from, 0, to, 0, length);
}

/// <summary>What a .NET developer writes today: read with RandomAccess, write, flush, then
/// punch the donor with a hand-written fallocate P/Invoke.</summary>
internal sealed record FileStreamCopy() : Contender("filestream")
{
    internal override void Move(string from, string to, long length)
    {
        using SafeFileHandle src = File.OpenHandle(from, FileMode.Open, FileAccess.ReadWrite);
        using SafeFileHandle dst = File.OpenHandle(to, FileMode.Open, FileAccess.ReadWrite);
        byte[] buffer = new byte[1 << 20];
        for (long at = 0; at < length;)
        {
            int n = RandomAccess.Read(src, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)), at);
            RandomAccess.Write(dst, buffer.AsSpan(0, n), at);
            at += n;
        }
        RandomAccess.FlushToDisk(dst);
        Checked(Interop.Fallocate(src, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, 0, length));
        RandomAccess.FlushToDisk(src);
    }
}

/// <summary>The kernel's own copy: copy_file_range, fdatasync, punch, fdatasync.</summary>
internal sealed record CopyFileRangeCopy() : Contender("copy_file_range")
{
    internal override void Move(string from, string to, long length)
    {
        using SafeFileHandle src = File.OpenHandle(from, FileMode.Open, FileAccess.ReadWrite);
        using SafeFileHandle dst = File.OpenHandle(to, FileMode.Open, FileAccess.ReadWrite);
        Checked(Interop.CopyFileRange(src, 0, dst, 0, length, out _));
        Checked(Interop.FDataSync(dst));
        Checked(Interop.Fallocate(src, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, 0, length));
        Checked(Interop.FDataSync(src));
    }
}

/// <summary>A whole process, run under GNU time for its peak memory.</summary>
internal abstract record ProcessContender(string Name) : Contender(Name)
{
    /// <summary>The processes to run, one after the other.</summary>
    protected abstract IEnumerable<(string Program, string[] Args)> CommandLines(string from, string to, long length);

    internal override void Move(string from, string to, long length)
    {
        long peak = 0;
        foreach ((string program, string[] args) in CommandLines(from, to, length))
        {
            peak = Math.Max(peak, RunOne(program, args));
        }
        LastMaxRssKiB = peak;
    }

    private static long RunOne(string program, string[] args)
    {
        string rss = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["-f", "%M", "-o", rss, program, .. args])
            {
                psi.ArgumentList.Add(a);
            }
            using Process p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new IOException($"{program} {string.Join(' ', args)} exited {p.ExitCode}: {err}");
            }
            return long.Parse(File.ReadAllText(rss).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            File.Delete(rss);
        }
    }
}

/// <summary>The movdata tool (Native AOT) as a whole process.</summary>
internal sealed record MovDataProcess(string Tool) : ProcessContender("movdata process")
{
    protected override IEnumerable<(string, string[])> CommandLines(string from, string to, long length) =>
        [(Tool, ["move", from, to, "--donor-offset", "0", "--receiver-offset", "0", "--length", length.ToString(System.Globalization.CultureInfo.InvariantCulture)])];
}

/// <summary>
/// xfs_io issuing the syscalls of the mechanism MovData picks here: reflink + fsync where the
/// filesystem clones (xfs_io 6.1 has no exchangerange command, so XFS with exchange-range
/// gets the reflink sequence too), copy_range + fsync where it only copies; then fpunch +
/// fdatasync of the donor. Two processes: xfs_io runs every -c command against every file it
/// has open, so one process cannot punch the donor without punching the receiver too.
/// The C reference for MovData's own overhead.
/// </summary>
internal sealed record XfsIoProcess(bool Reflink) : ProcessContender("xfs_io process")
{
    protected override IEnumerable<(string, string[])> CommandLines(string from, string to, long length)
    {
        string len = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string transfer = Reflink ? $"reflink {from} 0 0 {len}" : $"copy_range -s 0 -d 0 -l {len} {from}";
        return [("xfs_io", ["-c", transfer, "-c", "fsync", to]), ("xfs_io", ["-c", $"fpunch 0 {len}", "-c", "fdatasync", from])];
    }
}

/// <summary>One xfs_io process opening a file and doing nothing: its start-up cost. The
/// figures subtract two of these from <see cref="XfsIoProcess"/> for its syscalls alone, and
/// one for what a single process doing both steps would take.</summary>
internal sealed record XfsIoBaseline() : ProcessContender("xfs_io start-up")
{
    protected override IEnumerable<(string, string[])> CommandLines(string from, string to, long length) => [("xfs_io", ["-c", "stat", to])];
}
