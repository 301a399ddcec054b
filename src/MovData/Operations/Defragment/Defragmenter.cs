using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The seed's enhancement 2 on every filesystem that has a way to do it without a moment
/// where the file's bytes are at risk: it measures the file, refuses what it must (no way
/// here, another writer, too little free space), skips a file already at its ideal, and runs
/// the filesystem's own mechanism (<see cref="DefragmentMethod"/>).
/// </summary>
internal static class Defragmenter
{
    internal static DefragmentResult Run(SafeFileHandle file, DefragmentOptions options, IProgress<long>? progress, CancellationToken cancellation)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        DefragMechanism mechanism = Choose(f);
        FragmentationReport report = FileLayout.Measure(f);
        OpenWriters.Refuse(f, "defragment");
        if (report.AtIdeal)
        {
            return new DefragmentResult(DefragmentMethod.None, report.Extents, report.Extents, report.IdealExtents, 0, 0) { DryRun = options.DryRun };
        }
        RequireFreeSpace(f, report);
        if (options.DryRun)
        {
            return new DefragmentResult(mechanism.Planned(file), report.Extents, report.Extents, report.IdealExtents, report.DataBytes, report.SharedBytes) { DryRun = true };
        }
        List<Segment> before = Extents.Map(file, f.Size, "the file");
        var job = new DefragJob(f, report, progress, cancellation);
        DefragmentMethod method = mechanism.Run(job);
        if (method == DefragmentMethod.None)
        {
            return new DefragmentResult(DefragmentMethod.None, report.Extents, report.Extents, report.IdealExtents, 0, 0);
        }
        (long rewritten, long unshared) = FileLayout.Compare(before, Extents.Map(file, f.Size, "the file"));
        int after = Extents.CountDataExtents(file, f.Size, "the file");
        return new DefragmentResult(method, report.Extents, after, report.IdealExtents, Math.Max(rewritten, job.BytesCopied), unshared);
    }

    /// <summary>How a Probe reports defragment: the kernel's own primitive (ext4, btrfs), or
    /// a copy MovData makes and swaps in (XFS).</summary>
    internal static Support SupportOn(long fsMagic, Capabilities caps) => MechanismFor(fsMagic, () => caps)?.Method switch
    {
        null => Support.Unsupported,
        DefragmentMethod.MoveExtents or DefragmentMethod.DefragRange => Support.Native,
        _ => Support.Copy,
    };

    /// <summary>The filesystem's mechanism. <paramref name="caps"/> is asked only on XFS, whose
    /// way depends on them: ext4's and btrfs's primitive is always there, so a probe's trial
    /// files and trial clone would be work whose answer is never used (on btrfs the trial
    /// clone took 0.53 s under strace on a busy machine).</summary>
    private static DefragMechanism? MechanismFor(long fsMagic, Func<Capabilities> caps) => fsMagic switch
    {
        FileFacts.EXT4_SUPER_MAGIC => new MoveExtentsDefrag(),
        FileFacts.BTRFS_SUPER_MAGIC => new DefragRangeDefrag(),
        FileFacts.XFS_SUPER_MAGIC when caps().Exchange == true => new CopyExchangeDefrag(),
        FileFacts.XFS_SUPER_MAGIC when caps().Reflink == true => new CopyCloneDefrag(),
        _ => null,
    };

    /// <summary>The mechanism for this filesystem, or the sentence that says why there is none.</summary>
    private static DefragMechanism Choose(FileFacts f)
    {
        if (MechanismFor(f.FsMagic, () => Capabilities.For(f)) is { } mechanism)
        {
            return mechanism;
        }
        if (f.FsMagic == FileFacts.XFS_SUPER_MAGIC)
        {
            throw new FileSystemNotSupportedException(
                "defragment is not supported on this XFS: it needs reflink (mkfs.xfs -m reflink=1, the default since xfsprogs 5.1) or exchange-range to swap a fresh copy in. " +
                "XFS_IOC_SWAPEXT, which xfs_fsr uses, is not used: on this kernel a crash after it left XFS without rmapbt unmountable (docs/contract.md); nothing was changed");
        }
        FileLayout.Measure(f); // tmpfs: says why it has nothing to defragment
        throw new FileSystemNotSupportedException(
            $"defragment is not supported on {f.FsType}: MovData defragments XFS, ext4 and btrfs through each one's own primitive; nothing was changed");
    }

    /// <summary>Every mechanism writes the data to fresh blocks before the old ones are freed:
    /// that room must be there before anything is written. A sixteenth more is asked for the
    /// new extents' metadata.</summary>
    private static void RequireFreeSpace(FileFacts f, FragmentationReport report)
    {
        long needed = report.DataBytes + (report.DataBytes / 16);
        FreeSpace.Require(f.Handle, needed, free =>
            $"defragment needs {needed} bytes free for a fresh copy of the file's {report.DataBytes} bytes of data, and the filesystem has {free}; nothing was changed");
    }
}

/// <summary>One defragment's facts, shared by the mechanisms: the file, its measure, and
/// where progress and cancellation go.</summary>
internal sealed class DefragJob(FileFacts file, FragmentationReport report, IProgress<long>? progress, CancellationToken cancellation)
{
    internal FileFacts File { get; } = file;
    internal SafeFileHandle Handle => File.Handle;
    internal FragmentationReport Report { get; } = report;
    internal CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Bytes of data the mechanism wrote to fresh blocks.</summary>
    internal long BytesCopied { get; set; }

    /// <summary>The file's runs of data (holes left out), as the copy and the swaps walk them.</summary>
    internal List<(long Offset, long Length)> DataRuns() => Extents.DataSegments(Handle, 0, File.Size, "the file");

    /// <summary>The directory the file was opened from, where its fresh copy is made.</summary>
    internal string Directory => Capabilities.DirectoryOf(Handle)
        ?? throw new IOException("defragment needs the file's directory for its fresh copy, and the file has none (deleted?); nothing was changed");

    /// <summary>Tells the progress <paramref name="done"/> bytes of the job's <see cref="FragmentationReport.DataBytes"/>.</summary>
    internal void Progress(long done) => progress?.Report(Math.Min(done, Report.DataBytes));
}

/// <summary>One filesystem's way to rewrite a file onto fresh blocks.</summary>
internal abstract class DefragMechanism
{
    /// <summary>Bytes one swap call (a dedupe, a move of extents, a defrag range) covers:
    /// progress and cancellation come between calls.</summary>
    internal const long Piece = 8L << 20;

    internal abstract DefragmentMethod Method { get; }

    /// <summary>The method a defragment of <paramref name="file"/> would use now, as a dry
    /// run says it.</summary>
    internal virtual DefragmentMethod Planned(SafeFileHandle file) => Method;

    /// <summary>Rewrites the file; returns <see cref="DefragmentMethod.None"/> when the fresh
    /// space turned out no less fragmented than the file, so nothing was changed.</summary>
    internal abstract DefragmentMethod Run(DefragJob job);

    /// <summary>The runs of data cut into pieces of at most <paramref name="piece"/> bytes.</summary>
    protected static List<(long Offset, long Length)> Pieces(IEnumerable<(long Offset, long Length)> runs, long piece = Piece) =>
        [.. runs.SelectMany(r => Enumerable.Range(0, (int)((r.Length + piece - 1) / piece))
            .Select(i => (r.Offset + (i * piece), Math.Min(piece, r.Length - (i * piece)))))];

    /// <summary>Swaps each piece in turn: cancellation is honoured between pieces, progress
    /// told after each (<paramref name="progressAfter"/> of the bytes swapped so far), and the
    /// crash switch's point 2 comes after the first.</summary>
    protected static void SwapEach(DefragJob job, List<(long Offset, long Length)> pieces, Action<int> swap, Func<long, long> progressAfter)
    {
        long swapped = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            job.Cancellation.ThrowIfCancellationRequested();
            swap(i);
            swapped += pieces[i].Length;
            job.Progress(progressAfter(swapped));
            if (i == 0)
            {
                CrashSwitch.At("defrag", 2, job.Handle);
            }
        }
    }
}
