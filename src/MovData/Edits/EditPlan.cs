using System.Globalization;
using System.Text;

namespace MovData.Edits;

/// <summary>What one step of an edit does. Each is written to the intent record before the
/// edit starts, and each can be run again after a crash once the steps before it are done:
/// that is what lets recovery finish an edit exactly as it would have finished.</summary>
internal enum StepKind
{
    /// <summary>fallocate COLLAPSE_RANGE of A [OffsetA, +Length); done if A's size already dropped.</summary>
    Collapse,

    /// <summary>fallocate INSERT_RANGE of A at OffsetA; done if A's size already grew.</summary>
    Insert,

    /// <summary>A [OffsetA, +Length) into sidecar B at OffsetB (clone or copy); at OffsetB 0
    /// the sidecar is emptied first. A is intact until a later step.</summary>
    Save,

    /// <summary>Sets A's size to Length.</summary>
    Truncate,

    /// <summary>Sidecar B [0, Length) into A at OffsetA (clone or copy).</summary>
    Restore,

    /// <summary>Removes MovData's own file A.</summary>
    Unlink,

    /// <summary>Copies A [OffsetA, +Length) to B at OffsetB (the source is intact until a later step).</summary>
    Copy,

    /// <summary>Punches A [OffsetA, +Length).</summary>
    Punch,

    /// <summary>The seed's Move, A to B; on recovery, whatever the donor still holds is
    /// transferred again and the donor range punched.</summary>
    Move,

    /// <summary>FICLONERANGE A [OffsetA, +Length) to B at OffsetB.</summary>
    Clone,

    /// <summary>Creates MovData's own file A with size Length.</summary>
    Create,

    /// <summary>Renames MovData's own file A to B's path, refusing to replace a file.</summary>
    Rename,

    /// <summary>Writes the step's patches into A (each its bytes, repeated to fill its
    /// length): the null packets and marks of a media cut. Writing them again changes nothing.</summary>
    Write,
}

/// <summary>Bytes to write at <paramref name="Offset"/>: <paramref name="Bytes"/> repeated to
/// fill <paramref name="Length"/> (one null packet repeated makes a run of them).</summary>
internal sealed record Patch(long Offset, long Length, byte[] Bytes);

/// <summary>How a file of an edit is known.</summary>
internal enum EditFileKind
{
    /// <summary>The caller's file: recovery opens it by path and checks device and inode.</summary>
    User,

    /// <summary>MovData's own (a sidecar, an output being built), in the journal directory.</summary>
    Own,

    /// <summary>A path the edit creates at its end (a concat output).</summary>
    Target,
}

/// <summary>A file of an edit; Birth is its creation time in nanoseconds (0 where unknown).</summary>
internal sealed record EditFile(string Role, EditFileKind Kind, ulong Device, ulong Inode, string Path, long Birth = 0);

/// <summary>One step: a kind, the user-visible step it belongs to (<paramref name="Group"/>),
/// files by index in the plan's table, offsets, a length, and for a shift the size of A
/// before it (recovery tells by the size whether it happened).</summary>
internal sealed record EditStep(StepKind Kind, string Group, int A, long OffsetA, int B, long OffsetB, long Length, long SizeBefore = -1, bool ByClone = false)
{
    /// <summary>What a <see cref="StepKind.Write"/> writes, in order.</summary>
    internal List<Patch> Patches { get; init; } = [];
}

/// <summary>
/// An edit written out in full before it starts. <see cref="Discard"/> says which way
/// recovery goes: forward (finish it) or, for an edit that had not yet touched the caller's
/// files (a concat by cloning, building its output aside), discard what it built.
/// </summary>
internal sealed class EditPlan(string name, string id, string journalDirectory)
{
    internal string Name { get; } = name;
    internal string Id { get; } = id;
    internal string JournalDirectory { get; } = journalDirectory;
    internal bool Discard { get; set; }
    internal List<EditFile> Files { get; } = [];
    internal List<EditStep> Steps { get; } = [];

    /// <summary>The steps the caller sees, in order, with the method known when planning
    /// (a Move's is learnt when it runs).</summary>
    internal List<(string Group, string Method)> Groups { get; } = [];

    internal int AddFile(EditFile file)
    {
        Files.Add(file);
        return Files.Count - 1;
    }

    /// <summary>A sidecar file of this edit in the journal directory (same filesystem as the file it saves).</summary>
    internal int AddSidecar() => AddFile(new EditFile("sidecar", EditFileKind.Own, 0, 0,
        System.IO.Path.Combine(JournalDirectory, $"{Id}.sidecar{Files.Count}")));

    internal void Group(string group, string method)
    {
        int i = Groups.FindIndex(g => g.Group == group);
        if (i < 0)
        {
            Groups.Add((group, method));
        }
        else if (Rank(method) > Rank(Groups[i].Method))
        {
            Groups[i] = (group, method);
        }
    }

    // The step's method is its most copying part: native, then emulated, then a move or clone
    // of whole blocks (with copied edges), then copy.
    private static int Rank(string method) => method switch { "native" => 0, "emulated" => 1, "copy" => 3, _ => 2 };

    internal void Add(EditStep step) => Steps.Add(step);

    // ---- the intent record's text: one line per fact, numbers in invariant culture ----

    internal const string Magic = "movdata-journal 1";

    internal string ToRecord()
    {
        var sb = new StringBuilder();
        sb.Append(Magic).Append('\n');
        Line(sb, $"edit {Name}");
        Line(sb, $"recover {(Discard ? "discard" : "forward")}");
        Line(sb, $"home {Uri.EscapeDataString(JournalDirectory)}");
        for (int i = 0; i < Files.Count; i++)
        {
            EditFile f = Files[i];
            Line(sb, $"file {i} {f.Role} {f.Kind} {f.Device} {f.Inode} {f.Birth} {Uri.EscapeDataString(f.Path)}");
        }
        foreach ((string group, string method) in Groups)
        {
            Line(sb, $"group {group} {method}");
        }
        foreach (EditStep s in Steps)
        {
            Line(sb, $"step {s.Kind} {s.Group} {s.A} {s.OffsetA} {s.B} {s.OffsetB} {s.Length} {s.SizeBefore} {(s.ByClone ? 1 : 0)}");
            foreach (Patch patch in s.Patches)
            {
                // Belongs to the step above it.
                Line(sb, $"patch {patch.Offset} {patch.Length} {Convert.ToHexString(patch.Bytes)}");
            }
        }
        // Written last: a record without it was cut short before the edit began.
        sb.Append("begin\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, FormattableString line) => sb.Append(FormattableString.Invariant(line)).Append('\n');

    /// <summary>Reads a record; <paramref name="done"/> gets the steps recorded as finished.
    /// Null when the record is incomplete (the edit never began).</summary>
    internal static EditPlan? Parse(string text, string id, out HashSet<int> done)
    {
        done = [];
        // A crash while appending "done k" can leave a torn last line: it never counted.
        int lastNewline = text.LastIndexOf('\n');
        string[] lines = text[..(lastNewline + 1)].Split('\n');
        if (lines.Length == 0 || lines[0] != Magic || !lines.Contains("begin"))
        {
            return null;
        }
        EditPlan? plan = null;
        bool begun = false;
        foreach (string line in lines.Skip(1))
        {
            string[] w = line.Split(' ');
            switch (w[0])
            {
                case "edit":
                    plan = new EditPlan(w[1], id, "");
                    break;
                case "recover" when plan is not null:
                    plan.Discard = w[1] == "discard";
                    break;
                case "home" when plan is not null:
                    bool discard = plan.Discard;
                    plan = new EditPlan(plan.Name, id, Uri.UnescapeDataString(w[1])) { Discard = discard };
                    break;
                case "file" when plan is not null:
                    plan.Files.Add(new EditFile(w[2], Enum.Parse<EditFileKind>(w[3]), ulong.Parse(w[4], CultureInfo.InvariantCulture),
                        ulong.Parse(w[5], CultureInfo.InvariantCulture), Uri.UnescapeDataString(w[7]), Long(w[6])));
                    break;
                case "group" when plan is not null:
                    plan.Groups.Add((w[1], w[2]));
                    break;
                case "step" when plan is not null:
                    plan.Steps.Add(new EditStep(Enum.Parse<StepKind>(w[1]), w[2], Int(w[3]), Long(w[4]), Int(w[5]), Long(w[6]), Long(w[7]), Long(w[8]), w[9] == "1"));
                    break;
                case "patch" when plan is not null && plan.Steps.Count > 0:
                    plan.Steps[^1].Patches.Add(new Patch(Long(w[1]), Long(w[2]), Convert.FromHexString(w[3])));
                    break;
                case "begin":
                    begun = true;
                    break;
                case "done" when begun:
                    done.Add(Int(w[1]));
                    break;
                case "":
                    break;
                default:
                    throw new InvalidDataException($"journal record {id}: unexpected line '{line}'");
            }
        }
        return begun && plan is not null && plan.JournalDirectory.Length > 0 ? plan : null;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
}
