using Microsoft.Win32.SafeHandles;
using MovData.Tests.Cli;
using MovData.Tests.CApi;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// docs/bad-inputs.md, row by row: each hostile or mistaken input, on every scratch
/// filesystem, gets the documented answer, and no byte of any file changes. A test also
/// checks that the table and these rows name the same ids.
/// </summary>
public sealed class BadInputTests
{
    private const int B = Files.Block;

    public sealed class Ctx(ScratchDir dir)
    {
        public ScratchDir Dir { get; } = dir;
        public string Donor { get; } = dir.File("donor");
        public string Receiver { get; } = dir.File("receiver");
        public FsKind Kind => Dir.Kind;

        public MoveResult Move(long donorOffset, long receiverOffset, long length, MoveFlags flags = MoveFlags.None) =>
            FileRange.Move(Donor, donorOffset, Receiver, receiverOffset, length, flags);

        public static int Cli(params string[] args) => CliProcess.Movdata(args).Code;

        public string[] CliMove(string length, string donorOffset = "0") =>
            ["move", Donor, Receiver, "--donor-offset", donorOffset, "--receiver-offset", "0", "--length", length];
    }

    /// <summary>What a row must end in: an exception type, a CLI exit code, or success.</summary>
    public sealed record Row(string Id, Func<FsKind, object?> Expected, Func<Ctx, object?> Act, Action<Ctx>? Setup = null);

    private static void Chattr(string flag, string path) => Tools.MustRun("chattr", flag, path);

    public static readonly Row[] Rows =
    [
        new("lib-misaligned-donor-offset", _ => typeof(ContractViolationException), c => c.Move(1, 0, B)),
        new("lib-misaligned-receiver-offset", _ => typeof(ContractViolationException), c => c.Move(0, 512, B)),
        new("lib-misaligned-length", _ => typeof(ContractViolationException), c => c.Move(0, 0, B + 1)),
        new("lib-zero-length", _ => typeof(ContractViolationException), c => c.Move(0, 0, 0)),
        new("lib-negative-donor-offset", _ => typeof(ContractViolationException), c => c.Move(-B, 0, B)),
        new("lib-negative-receiver-offset", _ => typeof(ContractViolationException), c => c.Move(0, -B, B)),
        new("lib-negative-length", _ => typeof(ContractViolationException), c => c.Move(0, 0, -B)),
        new("lib-donor-offset-plus-length-overflows", _ => typeof(ContractViolationException), c => c.Move(long.MaxValue - (B - 1), 0, 2 * B)),
        new("lib-receiver-offset-plus-length-overflows", _ => typeof(ContractViolationException), c => c.Move(0, long.MaxValue - (B - 1), 2 * B)),
        new("lib-length-near-2^63", _ => typeof(ContractViolationException), c => c.Move(0, 0, long.MaxValue - (B - 1))),
        new("lib-donor-range-one-block-past-eof", _ => typeof(ContractViolationException), c => c.Move(31 * B, 0, 2 * B)),
        new("lib-receiver-range-one-block-past-eof", _ => typeof(ContractViolationException), c => c.Move(0, 31 * B, 2 * B)),
        new("lib-donor-range-starts-at-eof", _ => typeof(ContractViolationException), c => c.Move(32 * B, 0, B)),
        new("lib-same-file-overlapping", _ => typeof(ContractViolationException), c => FileRange.Move(c.Donor, 0, c.Donor, B, 2 * B)),
        new("lib-same-file-same-range", _ => typeof(ContractViolationException), c => FileRange.Move(c.Donor, 0, c.Donor, 0, B)),
        new("lib-receiver-range-holds-data", _ => typeof(ContractViolationException), c => FileRange.Move(c.Receiver, 0, c.Donor, 0, B)),
        new("lib-receiver-range-holds-written-zeros", _ => typeof(ContractViolationException), c => c.Move(0, 4 * B, B),
            c => Files.Create(c.Receiver, 32 * B, (4 * B, new byte[B]))),
        new("lib-unknown-flag-bit", _ => typeof(ContractViolationException), c => c.Move(0, 0, B, (MoveFlags)2)),
        new("lib-flags-int-min", _ => typeof(ContractViolationException), c => c.Move(0, 0, B, (MoveFlags)int.MinValue)),
        new("lib-donor-is-a-directory", _ => typeof(ContractViolationException), c => FileRange.Move(c.Dir.Path, 0, c.Receiver, 0, B)),
        new("lib-receiver-is-a-directory", _ => typeof(ContractViolationException), c => FileRange.Move(c.Donor, 0, c.Dir.Path, 0, B)),
        new("lib-donor-is-a-fifo", _ => typeof(ContractViolationException), c =>
        {
            Tools.MustRun("mkfifo", c.Dir.File("fifo"));
            return FileRange.Move(c.Dir.File("fifo"), 0, c.Receiver, 0, B);
        }),
        new("lib-receiver-is-a-character-device", _ => typeof(ContractViolationException), c => FileRange.Move(c.Donor, 0, "/dev/null", 0, B)),
        new("lib-symlink-to-a-directory", _ => typeof(ContractViolationException), c =>
        {
            File.CreateSymbolicLink(c.Dir.File("link"), c.Dir.Path);
            return FileRange.Move(c.Dir.File("link"), 0, c.Receiver, 0, B);
        }),
        new("lib-dangling-symlink", _ => typeof(FileNotFoundException), c =>
        {
            File.CreateSymbolicLink(c.Dir.File("dangling"), c.Dir.File("nowhere"));
            return FileRange.Move(c.Dir.File("dangling"), 0, c.Receiver, 0, B);
        }),
        new("lib-missing-donor", _ => typeof(FileNotFoundException), c => FileRange.Move(c.Dir.File("missing"), 0, c.Receiver, 0, B)),
        new("lib-empty-path", _ => typeof(ArgumentException), c => FileRange.Move("", 0, c.Receiver, 0, B)),
        new("lib-null-handle", _ => typeof(ArgumentNullException), c =>
        {
            using SafeFileHandle r = Files.OpenRw(c.Receiver);
            return FileRange.Move(null!, 0, r, 0, B);
        }),
        new("lib-closed-handle", _ => typeof(ArgumentException), c =>
        {
            SafeFileHandle d = Files.OpenRw(c.Donor);
            d.Dispose();
            using SafeFileHandle r = Files.OpenRw(c.Receiver);
            return FileRange.Move(d, 0, r, 0, B);
        }),
        new("lib-read-only-donor-handle", _ => typeof(ContractViolationException), c =>
        {
            using SafeFileHandle d = File.OpenHandle(c.Donor, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), r = Files.OpenRw(c.Receiver);
            return FileRange.Move(d, 0, r, 0, B);
        }),
        new("lib-write-only-donor-handle", _ => typeof(ContractViolationException), c =>
        {
            using SafeFileHandle d = File.OpenHandle(c.Donor, FileMode.Open, FileAccess.Write, FileShare.ReadWrite), r = Files.OpenRw(c.Receiver);
            return FileRange.Move(d, 0, r, 0, B);
        }),
        new("lib-read-only-receiver-handle", _ => typeof(ContractViolationException), c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor), r = File.OpenHandle(c.Receiver, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return FileRange.Move(d, 0, r, 0, B);
        }),
        new("lib-append-mode-receiver-handle", _ => typeof(ContractViolationException), c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor);
            using var r = new FileStream(c.Receiver, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            return FileRange.Move(d, 0, r.SafeFileHandle, 0, B);
        }),
        new("lib-immutable-donor", _ => typeof(UnauthorizedAccessException), c =>
        {
            Chattr("+i", c.Donor);
            return c.Move(0, 0, B);
        }),
        new("lib-append-only-receiver", _ => typeof(UnauthorizedAccessException), c =>
        {
            Chattr("+a", c.Receiver);
            return c.Move(0, 0, B);
        }),
        new("lib-immutable-after-open", _ => typeof(UnauthorizedAccessException), c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor), r = Files.OpenRw(c.Receiver);
            Chattr("+i", c.Donor);
            return FileRange.Move(d, 0, r, 0, B);
        }),
        new("lib-read-only-mount", _ => typeof(UnauthorizedAccessException), c =>
        {
            string ro = Directory.CreateTempSubdirectory("movdata-ro").FullName;
            Tools.MustRun("mount", "--bind", c.Dir.Path, ro);
            try
            {
                Tools.MustRun("mount", "-o", "remount,ro,bind", ro);
                return FileRange.Move(Path.Combine(ro, "donor"), 0, Path.Combine(ro, "receiver"), 0, B);
            }
            finally
            {
                Tools.MustRun("umount", ro);
                Directory.Delete(ro);
            }
        }),
        new("lib-zero-copy-only-across-filesystems", _ => typeof(FileSystemNotSupportedException), c =>
        {
            using ScratchDir other = Scratch.On(c.Kind.Name == "tmpfs" ? "ext4" : "tmpfs");
            string receiver = other.File("receiver");
            Files.Create(receiver, 32 * B);
            return FileRange.Move(c.Donor, 0, receiver, 0, B, MoveFlags.ZeroCopyOnly);
        }),
        new("lib-zero-copy-only-where-only-copying", k => k.ZeroCopy ? null : typeof(FileSystemNotSupportedException), c => c.Move(0, 0, B, MoveFlags.ZeroCopyOnly)),
        new("lib-donor-deleted-while-open", _ => null, c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor), r = Files.OpenRw(c.Receiver);
            File.Delete(c.Donor);
            MoveResult result = FileRange.Move(d, 0, r, 0, B);
            Files.AssertBytes(Files.Pattern(90, 32 * B).AsSpan(0, B).ToArray(), c.Receiver, 0);
            Files.Create(c.Donor, 32 * B, (0, Files.Pattern(90, 32 * B))); // the path again, for the cleanup
            return result;
        }),
        new("lib-donor-truncated-during-the-move", k => k.ZeroCopy ? null : typeof(MoveIncompleteException), c =>
        {
            // 96 MiB: a copy takes two chunks; between them another handle truncates the donor.
            const long length = 96L << 20;
            Files.Create(c.Donor, length, (0, Files.Pattern(91, length)));
            Files.Create(c.Receiver, length);
            return FileRange.Move(c.Donor, 0, c.Receiver, 0, length, MoveFlags.None, new TruncateOnFirstReport(c.Donor));
        }),
        new("lib-splice-same-file", _ => typeof(ContractViolationException), c => FileRange.Splice(c.Donor, 0, c.Donor, 8 * B, B)),
        new("lib-splice-donor-range-past-eof", _ => typeof(ContractViolationException), c => FileRange.Splice(c.Donor, 31 * B, c.Receiver, 0, 2 * B)),
        new("lib-splice-receiver-offset-past-eof", _ => typeof(ContractViolationException), c => FileRange.Splice(c.Donor, 0, c.Receiver, 32 * B + 1, B)),
        new("lib-splice-zero-copy-only-offsets-not-lined-up", _ => typeof(FileSystemNotSupportedException),
            c => FileRange.Splice(c.Donor, 188, c.Receiver, 376, B, MoveFlags.ZeroCopyOnly)),
        new("lib-collapse-to-eof", _ => typeof(ContractViolationException), c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor);
            return FileRange.Collapse(d, 188, 32 * B - 188);
        }),
        new("lib-collapse-partial-block-zero-copy-only", _ => typeof(FileSystemNotSupportedException), c =>
        {
            using SafeFileHandle d = Files.OpenRw(c.Donor);
            return FileRange.Collapse(d, B, 188, MoveFlags.ZeroCopyOnly);
        }),
        new("lib-concat-output-exists", _ => typeof(IOException), c => FileRange.Concat(c.Receiver, [new ConcatPart(c.Donor)])),
        new("lib-concat-move-overlapping-parts", _ => typeof(ContractViolationException),
            c => FileRange.Concat(c.Dir.File("out"), [new ConcatPart(c.Donor, 0, 2 * B), new ConcatPart(c.Donor, B, B)], move: true)),
        new("lib-concat-part-past-eof", _ => typeof(ContractViolationException), c => FileRange.Concat(c.Dir.File("out"), [new ConcatPart(c.Donor, 31 * B, 2 * B)])),
        new("lib-recover-missing-path", _ => typeof(FileNotFoundException), c => FileRange.Recover(c.Dir.File("missing"))),
        new("cli-size-minus-one", _ => 2, c => Ctx.Cli(c.CliMove("-1"))),
        new("cli-size-1e9", _ => 2, c => Ctx.Cli(c.CliMove("1e9"))),
        new("cli-size-99999999999T", _ => 2, c => Ctx.Cli(c.CliMove("99999999999T"))),
        new("cli-size-hex-without-digits", _ => 2, c => Ctx.Cli(c.CliMove("0x"))),
        new("cli-missing-required-option", _ => 2, c => Ctx.Cli("move", c.Donor, c.Receiver, "--length", "4k")),
        new("cli-unknown-verb", _ => 2, c => Ctx.Cli("teleport", c.Donor)),
        new("cli-misaligned-offset", _ => 2, c => Ctx.Cli(c.CliMove("4k", "100"))),
        new("cli-receiver-holds-data", _ => 2, c => Ctx.Cli("move", c.Receiver, c.Donor, "--donor-offset", "0", "--receiver-offset", "0", "--length", "4k")),
        new("cli-zero-copy-only-where-only-copying", k => k.ZeroCopy ? 0 : 3, c => Ctx.Cli([.. c.CliMove("4k"), "--zero-copy-only"])),
        new("cli-splice-same-file", _ => 2, c => Ctx.Cli("splice", c.Donor, c.Donor, "--donor-offset", "0", "--receiver-offset", "8k", "--length", "4k")),
        new("cli-splice-zero-copy-only-offsets-not-lined-up", _ => 3,
            c => Ctx.Cli("splice", c.Donor, c.Receiver, "--donor-offset", "188", "--receiver-offset", "376", "--length", "4k", "--zero-copy-only")),
        new("cli-concat-output-exists", _ => 1, c => Ctx.Cli("concat", c.Receiver, c.Donor)),
        new("cli-concat-no-parts", _ => 2, c => Ctx.Cli("concat", c.Dir.File("out"))),
        new("cli-recover-missing-path", _ => 1, c => Ctx.Cli("recover", c.Dir.File("missing"))),
        new("cli-missing-file", _ => 1, c => Ctx.Cli("move", c.Dir.File("missing"), c.Receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "4k")),
    ];

    /// <summary>Truncates the donor through another handle the first time the Move reports progress.</summary>
    private sealed class TruncateOnFirstReport(string path) : IProgress<long>
    {
        private bool _done;

        public void Report(long value)
        {
            if (!_done)
            {
                _done = true;
                using SafeFileHandle h = Files.OpenRw(path);
                RandomAccess.SetLength(h, 70L << 20);
            }
        }
    }

    public static TheoryData<string, string> Cases() => Scratch.EveryFileSystemWith(Rows.Select(r => r.Id));

    [Theory, MemberData(nameof(Cases))]
    public void BadInput_GetsTheDocumentedAnswer_AndChangesNothing(string fs, string id)
    {
        Row row = Rows.Single(r => r.Id == id);
        using ScratchDir dir = Scratch.On(fs);
        var c = new Ctx(dir);
        Files.Create(c.Donor, 32 * B, (0, Files.Pattern(90, 32 * B)));
        Files.Create(c.Receiver, 32 * B);
        row.Setup?.Invoke(c);
        Snapshot donor = Files.Take(c.Donor), receiver = Files.Take(c.Receiver);
        object? expected = row.Expected(dir.Kind);

        object? actual;
        try
        {
            actual = row.Act(c);
        }
        catch (Exception e) when (expected is Type)
        {
            actual = e.GetType();
        }
        finally
        {
            Tools.Run("chattr", "-i", "-a", c.Donor);
            Tools.Run("chattr", "-i", "-a", c.Receiver);
        }

        switch (expected)
        {
            case Type type:
                Assert.Equal(type, actual);
                if (type != typeof(MoveIncompleteException))
                {
                    Assert.Equal(donor, Files.Take(c.Donor));
                    Assert.Equal(receiver, Files.Take(c.Receiver));
                }
                break;
            case int code:
                Assert.Equal(code, actual);
                if (code != 0)
                {
                    Assert.Equal(donor, Files.Take(c.Donor));
                    Assert.Equal(receiver, Files.Take(c.Receiver));
                }
                break;
            default:
                // Success rows check their own results inside Act.
                Assert.True(Assert.IsType<MoveResult>(actual).MovedLength > 0);
                break;
        }
    }

    [Fact]
    public void TheTableAndTheTestsNameTheSameRows()
    {
        string table = File.ReadAllText(Path.Combine(NativeLibrary.RepoRoot, "docs", "bad-inputs.md"));
        string[] documented = [.. System.Text.RegularExpressions.Regex.Matches(table, @"^\| `([A-Za-z0-9^\-]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
        Assert.Equal(Rows.Select(r => r.Id).Concat(Media.MediaBadInputTests.Rows.Select(r => r.Id)).Concat(DefragBadInputTests.Rows.Select(r => r.Id)).Concat(Media.RestoreBadInputTests.Rows.Select(r => r.Id)).Order(), documented.Order());
        Assert.True(documented.Length >= 40, $"{documented.Length} rows");
    }
}
