using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// docs/bad-inputs.md's rows for `movdata defrag`: each mistaken input, on every scratch
/// filesystem, gets the documented exit code and a one-line message that says what was
/// wrong, and no file in the directory changes.
/// </summary>
public sealed class DefragBadInputTests
{
    /// <summary>A row: what to make in the directory (returns the path to pass), the arguments
    /// after `movdata` ({f} is that path), the exit code on each filesystem, and words the
    /// error must contain.</summary>
    public sealed record Row(string Id, Func<ScratchDir, string> Make, string[] Args, Func<FsKind, int> Exit, string Says);

    private static string Contiguous(ScratchDir dir)
    {
        string path = dir.File("f");
        File.WriteAllBytes(path, Files.Pattern(95, 64 * Files.Block));
        return path;
    }

    public static readonly Row[] Rows =
    [
        new("defrag-missing-file", dir => dir.File("nothing-here"), ["defrag", "{f}"], _ => 1, "nothing-here: No such file or directory"),
        new("defrag-directory-without-r", dir => dir.Path, ["defrag", "{f}"], _ => 2, "is a directory; defrag -r defragments the files under it"),
        new("defrag-fifo", dir =>
        {
            string path = dir.File("fifo");
            Tools.MustRun("mkfifo", path);
            return path;
        }, ["defrag", "{f}"], _ => 2, "not a regular file"),
        new("defrag-immutable-file", dir =>
        {
            string path = Contiguous(dir);
            Tools.MustRun("chattr", "+i", path);
            return path;
        }, ["defrag", "{f}"], _ => 1, "immutable"),
        new("defrag-on-tmpfs", Contiguous, ["defrag", "{f}"], fs => fs.Fiemap ? 0 : 3, "there is nothing to defragment"),
        new("defrag-check-on-tmpfs", Contiguous, ["defrag", "--check", "{f}"], fs => fs.Fiemap ? 0 : 3, "there is nothing to defragment"),
        new("defrag-unknown-option", Contiguous, ["defrag", "{f}", "--frobnicate"], _ => 2, "--frobnicate"),
    ];

    public static TheoryData<string, string> Cases() => Scratch.EveryFileSystemWith(Rows.Select(r => r.Id));

    [Theory, MemberData(nameof(Cases))]
    public void BadInput_GetsTheDocumentedExitAndMessage_AndChangesNothing(string fs, string id)
    {
        Row row = Rows.Single(r => r.Id == id);
        using ScratchDir dir = Scratch.On(fs);
        string path = row.Make(dir);
        Snapshot[] before = Snapshots(dir);
        int expected = row.Exit(dir.Kind);
        (int code, string output, string err) = CliProcess.Movdata([.. row.Args.Select(a => a.Replace("{f}", path, StringComparison.Ordinal))]);
        Tools.Run("chattr", "-i", path);

        Assert.True(expected == code, $"{id} on {fs}: exit {code}, expected {expected}: {err}{output}");
        if (code != 0)
        {
            Assert.Contains(row.Says, err, StringComparison.Ordinal);
            // One line (a command line the parser refused adds coreutils' "Try ... --help").
            Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.StartsWith("Try ", StringComparison.Ordinal));
        }
        Assert.Equal(before, Snapshots(dir));
    }

    /// <summary>Every regular file of the directory (a FIFO would block the reading).</summary>
    private static Snapshot[] Snapshots(ScratchDir dir) =>
        [.. Directory.GetFiles(dir.Path).Order().Where(f => !f.EndsWith("fifo", StringComparison.Ordinal)).Select(Files.Take)];
}
