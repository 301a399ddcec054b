using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// Journal records damaged on disk: truncated, a bit flipped, written by a newer MovData.
/// Each is reported with its path and why, never acted on and never removed; edits of the
/// files it names are refused (exit 1, with the recover hint); edits of other files go on;
/// `movdata recover` lists it as failed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DamagedRecordTests
{
    private const int B = Files.Block;

    [Fact]
    public void Record_ReadsBackAsWritten_AndEveryFlippedBitOfItIsCaught()
    {
        var plan = new EditPlan("splice", "0123456789abcdef", "/srv/rec/.movdata-journal");
        plan.AddFile(new EditFile("donor", EditFileKind.User, 2049, 131, "/srv/rec/take 1.ts", 1_700_000_000_123_456_789));
        plan.AddFile(new EditFile("receiver", EditFileKind.User, 2049, 132, "/srv/rec/edit.ts", 1_700_000_000_987_654_321));
        plan.Add(new EditStep(StepKind.Insert, "insert", 1, 4096, -1, 0, 8192, 65536));
        plan.Add(new EditStep(StepKind.Move, "move", 0, 0, 1, 4096, 8192));
        plan.Add(new EditStep(StepKind.Write, "cut", 0, 0, -1, 0, 0) { Patches = [new Patch(188, 376, [0x47, 0x1f, 0xff, 0x10])] });
        plan.Group("insert", StepMethod.Native);
        plan.Group("move", null);
        string text = plan.ToRecord() + "done 0\n";

        RecordReading read = EditPlan.Read(text, plan.Id);
        Assert.Null(read.Damage);
        EditPlan back = Assert.IsType<EditPlan>(read.Plan);
        Assert.Equal(plan.Files, back.Files);
        Assert.Equal(plan.Steps.Select(s => (s.Kind, s.A, s.OffsetA, s.B, s.OffsetB, s.Length, s.SizeBefore)),
            back.Steps.Select(s => (s.Kind, s.A, s.OffsetA, s.B, s.OffsetB, s.Length, s.SizeBefore)));
        Assert.Equal(plan.Groups, back.Groups);
        Assert.Equal([0], read.Done);

        // Every single-bit flip anywhere in the plan (before "done") is refused, never read as
        // another plan.
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int planEnd = text.IndexOf("done 0", StringComparison.Ordinal);
        for (int i = 0; i < planEnd; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] flipped = (byte[])bytes.Clone();
                flipped[i] ^= (byte)(1 << bit);
                RecordReading r = EditPlan.Read(Encoding.UTF8.GetString(flipped), plan.Id);
                Assert.True(r.Plan is null && r.Damage is not null, $"byte {i} bit {bit}: read as a plan, or as incomplete without damage");
            }
        }
    }

    /// <summary>A cut's Write step as the record spells it since version 4: each patch's runs
    /// of one byte once (a null packet, a discontinuity mark, a one-byte fill), read back to
    /// the same bytes, and every flipped bit of the plan still caught.</summary>
    [Fact]
    public void Record_SpellsRunsOnce_ReadsBackTheSameBytes_AndEveryFlippedBitIsCaught()
    {
        byte[] nullPacket = [0x47, 0x1F, 0xFF, 0x10, .. Enumerable.Repeat((byte)0xFF, 184)];
        byte[] marks = [0x47, 0x01, 0x00, 0x2A, 0xB7, 0x80, .. Enumerable.Repeat((byte)0xFF, 182), 0x47, 0x01, 0x01, 0x2F, 0xB7, 0x80, .. Enumerable.Repeat((byte)0xFF, 182)];
        byte[] mixed = [.. Enumerable.Range(0, 40).Select(i => (byte)(i * 7)), .. Enumerable.Repeat((byte)0x00, 7), .. Enumerable.Repeat((byte)0x00, 1), 0x12, .. Enumerable.Repeat((byte)0xAB, 300)];
        var plan = new EditPlan("cut", "0123456789abcdef", "/srv/rec/.movdata-journal");
        plan.AddFile(new EditFile("recording", EditFileKind.User, 2049, 131, "/srv/rec/news.ts", 1_700_000_000_123_456_789));
        plan.Add(new EditStep(StepKind.Collapse, "cut", 0, 602112, -1, 0, 192512, 3645132));
        Patch[] patches = [new(600284, 109792, nullPacket), new(710076, 376, marks), new(900000, 1000, mixed), new(1000000, 30, [0xFF])];
        plan.Add(new EditStep(StepKind.Write, "cut", 0, 0, -1, 0, 0) { Patches = [.. patches] });
        plan.Group("cut", StepMethod.Native);
        string text = plan.ToRecord();

        Assert.StartsWith("movdata-journal 4\n", text, StringComparison.Ordinal);
        Assert.Contains("patch 710076 376 4701002AB780.FF*182.4701012FB780.FF*182\n", text, StringComparison.Ordinal);
        Assert.Contains("patch 600284 109792 471FFF10.FF*184\n", text, StringComparison.Ordinal);
        RecordReading read = EditPlan.Read(text, plan.Id);
        Assert.Null(read.Damage);
        EditStep write = Assert.IsType<EditPlan>(read.Plan).Steps[1];
        Assert.Equal(patches.Select(p => (p.Offset, p.Length, Convert.ToHexString(p.Bytes))), write.Patches.Select(p => (p.Offset, p.Length, Convert.ToHexString(p.Bytes))));

        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length - "begin 01234567\n".Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] flipped = (byte[])bytes.Clone();
                flipped[i] ^= (byte)(1 << bit);
                RecordReading r = EditPlan.Read(Encoding.UTF8.GetString(flipped), plan.Id);
                Assert.True(r.Plan is null && r.Damage is not null, $"byte {i} bit {bit}: read as a plan, or as incomplete without damage");
            }
        }
        // A run in a record that says it is older than runs is damage, not a guess.
        string older = text.Replace("movdata-journal 4", "movdata-journal 2", StringComparison.Ordinal);
        older = older[..older.IndexOf("begin ", StringComparison.Ordinal)];
        older += $"begin {Convert.ToHexString(System.IO.Hashing.Crc32.Hash(Encoding.UTF8.GetBytes(older)))}\n";
        Assert.Contains("with runs from version 4 on", EditPlan.Read(older, plan.Id).Damage, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Damages => Scratch.EveryFileSystemWith(["truncated", "bit-flipped", "future version"]);

    [Theory, MemberData(nameof(Damages))]
    public void DamagedRecord_IsReportedAndKept_ItsFilesRefused_OtherFilesGoOn(string fs, string damage)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario splice = CrashScenario.All().Single(c => c.Name == "splice aligned");
        splice.Setup(dir.Path);
        (int killed, _, string killErr) = CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "kill:done:0" }, splice.Command(dir.Path));
        Assert.True(killed == 137, $"expected SIGKILL, got {killed}: {killErr}");
        string record = Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, ".movdata-journal"), "*.edit"));
        Damage(record, damage);
        byte[] recordBytes = File.ReadAllBytes(record);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] donorNow = Files.ReadAll(donor), receiverNow = Files.ReadAll(receiver);

        // An edit of a file the record names is refused, and says why and what to do.
        (int code, string output, string err) = CliProcess.Movdata("collapse", donor, "--offset", "0", "--length", "4k", "--json");
        Assert.True(code == 1, $"collapse of the donor: exit {code}: {err}");
        Assert.Contains(record, err, StringComparison.Ordinal);
        Assert.Contains("cannot be read", err, StringComparison.Ordinal);
        Assert.Contains("movdata recover", err, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("error").GetProperty("recoveryPending").GetBoolean());

        // An edit of another file in the same directory goes on, and warns of the record.
        string other = dir.File("other");
        Files.Create(other, 8 * B, (0, Files.Pattern(811, 8 * B)));
        (code, output, err) = CliProcess.Movdata("collapse", other, "--offset", "0", "--length", "4k");
        Assert.True(code == 0, $"collapse of another file: exit {code}: {err}");
        Assert.Equal(Files.Pattern(811, 8 * B).AsSpan(B).ToArray(), Files.ReadAll(other));
        Assert.Contains("warning", err, StringComparison.Ordinal);
        Assert.Contains(record, err, StringComparison.Ordinal);

        // recover lists it as failed (exit 1), acts on nothing and keeps it.
        (code, output, err) = CliProcess.Movdata("recover", dir.Path, "--json");
        Assert.True(code == 1, $"recover: exit {code}: {output}{err}");
        JsonElement outcome = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal("failed", outcome.GetProperty("outcome").GetString());
        Assert.Contains("cannot be read", outcome.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(recordBytes, File.ReadAllBytes(record));
        Assert.Equal(donorNow, Files.ReadAll(donor));
        Assert.Equal(receiverNow, Files.ReadAll(receiver));
    }

    /// <summary>Damages a record as a disk or a person might.</summary>
    private static void Damage(string record, string how)
    {
        byte[] bytes = File.ReadAllBytes(record);
        string text = Encoding.UTF8.GetString(bytes);
        switch (how)
        {
            case "truncated":
                // Cut after a whole line in the middle: no "begin".
                File.WriteAllBytes(record, bytes.AsSpan(0, text.IndexOf('\n', text.Length / 2) + 1).ToArray());
                break;
            case "bit-flipped":
                // One bit of an offset in a step line: still a well-formed line.
                int at = text.IndexOf("\nstep ", StringComparison.Ordinal) + 12;
                bytes[at] ^= 0x01;
                File.WriteAllBytes(record, bytes);
                break;
            default:
                File.WriteAllText(record, text.Replace("movdata-journal 2", "movdata-journal 3", StringComparison.Ordinal));
                break;
        }
    }
}
