using System.Text;
using System.Text.Json;
using MovData.Edits;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// A Write step whose bytes are more than a record's text should carry (a new MP4 moov can be
/// megabytes) keeps them in a payload file the record names and checksums (docs/journal.md).
/// The edit is a padded cut, the one media formats hand down, run by the edit host: whole
/// blocks removed, then 200 KiB written and a 3-byte pattern repeated.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WritePayloadTests
{
    private const int B = Files.Block;

    private static readonly byte[] Big = Files.Pattern(902, 200 * 1024 + 7);

    private static readonly byte[] Repeated = [0x47, 0x1F, 0xFF];

    private static CrashScenario Scenario()
    {
        byte[] f = Files.Pattern(901, 64 * B);
        byte[] after = [.. f.AsSpan(0, 8 * B), .. f.AsSpan(16 * B)];
        Big.CopyTo(after, 1000);
        for (int i = 0; i < 5000; i++)
        {
            after[210_000 + i] = Repeated[i % Repeated.Length];
        }
        return new("padded cut with a large write", new() { ["f"] = f, ["big"] = Big, ["pattern"] = Repeated },
            new() { ["f"] = after, ["big"] = Big, ["pattern"] = Repeated },
            ["{f}", "--remove", $"{8 * B}:{8 * B}", "--write", $"1000:{Big.Length}:{{big}}", "--write", "210000:5000:{pattern}"],
            Program: CliProcess.EditHost);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void LargeWrite_KilledAtEveryStep_RecoversByteForByte(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        int kills = Scenario().CrashAtEveryStep(dir.Path, "kill", ["done", "ran"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"killed and recovered at {kills} points on {fs}");
        // Just after the record, after each step's change and after it is recorded: at
        // least the removal's and the write's.
        Assert.True(kills >= 5, $"{kills} kill points on {fs}");
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void LargeWrite_RecordNamesAChecksummedPayloadFile_NotHexLines(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario s = Scenario();
        string record = KilledAt(s, dir.Path, "kill:done:-1");
        // As recovery reads it: on XFS and ext4 a cut that begins with a collapse keeps its
        // text in the record's xattr (docs/journal.md), elsewhere in the file.
        string text = JournalRecord.Peek(record);
        string payload = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(record)!, "*.payload*"));

        Assert.StartsWith("movdata-journal 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"\npayload {Big.Length + Repeated.Length} ", text, StringComparison.Ordinal);
        Assert.Contains($"\npart 1000 {Big.Length} {Big.Length}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\npart 210000 5000 {Repeated.Length}\n", text, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(payload), text, StringComparison.Ordinal);
        Assert.DoesNotContain("\npatch ", text, StringComparison.Ordinal);
        Assert.True(text.Length < 4096, $"the record is {text.Length} bytes");
        Assert.StartsWith(Path.GetFileNameWithoutExtension(record) + ".payload", Path.GetFileName(payload), StringComparison.Ordinal);
        Assert.Equal([.. Big, .. Repeated], File.ReadAllBytes(payload));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(payload));

        (int code, string json, string err) = CliProcess.Movdata("recover", dir.Path, "--json");
        Assert.True(code == 0, $"recover: exit {code}: {err}{json}");
        Assert.Equal("finished", Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray()).GetProperty("outcome").GetString());
        s.Check(dir.Path, "recovered from just after the record");
    }

    public static TheoryData<string, string> Damages => Scratch.EveryFileSystemWith(["missing", "bit-flipped", "truncated"]);

    [Theory, MemberData(nameof(Damages))]
    public void DamagedPayload_IsADamagedRecord_NothingChanges(string fs, string damage)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario s = Scenario();
        // The removal done and recorded, the write not: recovery needs the payload.
        string record = KilledAt(s, dir.Path, "kill:done:0");
        string payload = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(record)!, "*.payload*"));
        Damage(payload, damage);
        byte[] recordBytes = File.ReadAllBytes(record);
        byte[]? payloadBytes = File.Exists(payload) ? File.ReadAllBytes(payload) : null;
        string f = dir.File("f");
        byte[] fNow = Files.ReadAll(f);

        (int code, string json, string err) = CliProcess.Movdata("recover", dir.Path, "--json");
        Assert.True(code == 1, $"recover: exit {code}: {json}{err}");
        JsonElement outcome = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal("failed", outcome.GetProperty("outcome").GetString());
        string detail = outcome.GetProperty("detail").GetString()!;
        Assert.Contains("cannot be read", detail, StringComparison.Ordinal);
        Assert.Contains($"the payload file {payload}", detail, StringComparison.Ordinal);

        // An edit of the file it names is refused, as for any damaged record.
        (code, _, err) = CliProcess.Movdata("collapse", f, "--offset", "0", "--length", "4k");
        Assert.True(code == 1, $"collapse: exit {code}: {err}");
        Assert.Contains("cannot be read", err, StringComparison.Ordinal);

        Assert.Equal(recordBytes, File.ReadAllBytes(record));
        Assert.Equal(payloadBytes, File.Exists(payload) ? File.ReadAllBytes(payload) : null);
        Assert.Equal(fNow, Files.ReadAll(f));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void PayloadWithoutRecord_IsRemovedByRecover(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        // What a crash leaves while a record is being written: its payload, no record yet.
        string journal = Directory.CreateDirectory(dir.File(JournalRecord.DirectoryName)).FullName;
        File.WriteAllBytes(Path.Combine(journal, WritePayloads.FileName("0123456789abcdef", 1)), Big);

        (int code, string json, string err) = CliProcess.Movdata("recover", dir.Path, "--json");

        Assert.True(code == 0, $"recover: exit {code}: {err}{json}");
        Assert.Equal("[]", json.Trim());
        Assert.False(Directory.Exists(journal), "the payload without a record was left behind");
    }

    [Fact]
    public void Record_KeepsSmallWritesInline_AtVersion2_AndReadsLargeOnesBack()
    {
        string home = "/nowhere/.movdata-journal";
        var small = new EditPlan("cut", "aaaaaaaaaaaaaaaa", home);
        small.AddFile(new EditFile("recording", EditFileKind.User, 1, 2, "/nowhere/rec.ts", 3));
        // No byte repeats the one before it: nothing to spell as a run (that would be version 4).
        byte[] inline = [.. Enumerable.Range(0, EditPlan.InlineWriteBytes).Select(i => (byte)(i * 7 + i / 256))];
        small.Add(new EditStep(StepKind.Write, "cut", 0, 0, -1, 0, 0) { Patches = [new Patch(0, EditPlan.InlineWriteBytes, inline)] });
        Assert.StartsWith("movdata-journal 2\n", small.ToRecord(), StringComparison.Ordinal);
        Assert.Equal(-1, small.Steps[0].B);

        var large = new EditPlan("cut", "bbbbbbbbbbbbbbbb", home);
        large.AddFile(new EditFile("recording", EditFileKind.User, 1, 2, "/nowhere/rec.ts", 3));
        large.Add(new EditStep(StepKind.Collapse, "cut", 0, 4096, -1, 0, 8192, 65536));
        large.Add(new EditStep(StepKind.Write, "cut", 0, 0, -1, 0, 0) { Patches = [new Patch(100, Big.Length, Big), new Patch(300_000, 5000, Repeated)] });
        string text = large.ToRecord();
        Assert.StartsWith("movdata-journal 3\n", text, StringComparison.Ordinal);
        Assert.Equal($"{home}/bbbbbbbbbbbbbbbb.payload1", large.Files[large.Steps[1].B].Path);

        RecordReading read = EditPlan.Read(text, "bbbbbbbbbbbbbbbb");
        Assert.Null(read.Damage);
        EditStep write = read.Plan!.Steps[1];
        Assert.Equal(large.Steps[1].Payload!.Checksum, write.Payload!.Checksum);
        Assert.Equal([Big.Length, Repeated.Length], write.Payload.Counts);
        Assert.Equal([(100L, (long)Big.Length), (300_000L, 5000L)], write.Patches.Select(p => (p.Offset, p.Length)));
        // Each bit of the payload lines is covered by the record's checksum.
        int at = text.IndexOf("\npart ", StringComparison.Ordinal) + 6;
        byte[] flipped = Encoding.UTF8.GetBytes(text);
        flipped[at] ^= 0x01;
        Assert.NotNull(EditPlan.Read(Encoding.UTF8.GetString(flipped), "bbbbbbbbbbbbbbbb").Damage);
    }

    /// <summary>Runs the scenario's edit until the crash switch kills it at <paramref name="when"/>; returns its record.</summary>
    private static string KilledAt(CrashScenario s, string dir, string when)
    {
        s.Setup(dir);
        (int code, _, string err) = CliProcess.RunWith(s.Program!, new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = when }, s.Command(dir));
        Assert.True(code == 137, $"expected SIGKILL at {when}, got exit {code}: {err}");
        return Assert.Single(Directory.GetFiles(Path.Combine(dir, JournalRecord.DirectoryName), "*" + JournalRecord.Extension));
    }

    private static void Damage(string payload, string how)
    {
        switch (how)
        {
            case "missing":
                File.Delete(payload);
                break;
            case "bit-flipped":
                byte[] bytes = File.ReadAllBytes(payload);
                bytes[bytes.Length / 2] ^= 0x10;
                File.WriteAllBytes(payload, bytes);
                break;
            default:
                using (var f = File.OpenHandle(payload, FileMode.Open, FileAccess.ReadWrite))
                {
                    RandomAccess.SetLength(f, RandomAccess.GetLength(f) - 100);
                }
                break;
        }
    }
}
