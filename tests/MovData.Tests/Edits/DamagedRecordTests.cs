using System.Text;
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
        plan.Group("insert", "native");
        string text = plan.ToRecord() + "done 0\n";

        RecordReading read = EditPlan.Read(text, plan.Id);
        Assert.Null(read.Damage);
        EditPlan back = Assert.IsType<EditPlan>(read.Plan);
        Assert.Equal(plan.Files, back.Files);
        Assert.Equal(plan.Steps.Select(s => (s.Kind, s.A, s.OffsetA, s.B, s.OffsetB, s.Length, s.SizeBefore)),
            back.Steps.Select(s => (s.Kind, s.A, s.OffsetA, s.B, s.OffsetB, s.Length, s.SizeBefore)));
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
                Assert.True(r.Plan is null && (r.Damage is not null || flipped[i] == (byte)'\n'),
                    $"byte {i} bit {bit}: read as a plan, or as incomplete without damage");
            }
        }
    }
}
