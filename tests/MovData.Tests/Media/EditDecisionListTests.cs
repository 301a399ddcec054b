using MovData.Media;

namespace MovData.Tests.Media;

/// <summary>Times and EDLs as people and comskip write them.</summary>
public sealed class EditDecisionListTests
{
    [Theory]
    [InlineData("93.5", 93.5)]
    [InlineData("0", 0)]
    [InlineData("1:33.5", 93.5)]
    [InlineData("01:02:03.25", 3723.25)]
    [InlineData("10:00", 600)]
    public void ParseTime_ReadsSecondsAndClockTimes(string text, double seconds) =>
        Assert.Equal(seconds, EditDecisionList.ParseTime(text), 6);

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1:75")]
    [InlineData("1:2:3:4")]
    [InlineData("-5")]
    [InlineData("1.5:00")]
    [InlineData("1e3")]
    [InlineData("NaN")] // .NET reads these three whatever the number style asked for
    [InlineData("Infinity")]
    [InlineData("∞")]
    [InlineData("1:NaN")]
    public void ParseTime_RefusesWhatIsNotATime(string text) =>
        Assert.Throws<FormatException>(() => EditDecisionList.ParseTime(text));

    [Fact]
    public void ParseRange_ReadsFromTo_AndRefusesReversed()
    {
        Assert.Equal(new TimeRange(720, 930.5), EditDecisionList.ParseRange("12:00-15:30.5"));
        Assert.Contains("ends before it starts", Assert.Throws<FormatException>(() => EditDecisionList.ParseRange("15-12")).Message, StringComparison.Ordinal);
        Assert.Contains("is empty: it ends where it starts", Assert.Throws<FormatException>(() => EditDecisionList.ParseRange("12-12")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => EditDecisionList.ParseRange("12"));
        Assert.Equal(new TimeRange(19.99, double.PositiveInfinity), EditDecisionList.ParseRange("19.99-end"));
        Assert.Equal("19.99-end", EditDecisionList.ParseRange("19.99-end").ToString());
        Assert.Contains("both ends", Assert.Throws<FormatException>(() => EditDecisionList.ParseRange("6-")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeepsCutsAndCommercialBreaks_SkipsCommentsBlanksAndOtherTypes()
    {
        const string edl = "# comskip 0.82\n\n12.5\t95.0\t3\r\n100 101 1\n300.25 420 0 # trailing comment\n500 510 2\n";
        Assert.Equal([new TimeRange(12.5, 95), new TimeRange(300.25, 420)], EditDecisionList.Parse(edl));
    }

    [Fact]
    public void Markers_AreSceneMarkersAtEachJoin_WhichParseLeavesAlone()
    {
        string edl = EditDecisionList.Markers([6, 10.25, 1234.5678]);
        Assert.Equal("6.00\t6.00\t2\n10.25\t10.25\t2\n1234.568\t1234.568\t2\n", edl);
        Assert.Empty(EditDecisionList.Parse(edl));
        Assert.Contains("EDL line 1: the range 5-5 is empty", Assert.Throws<FormatException>(() => EditDecisionList.Parse("5 5 3\n")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 2\n", "EDL line 1")]
    [InlineData("1 2 3\n5 four 0\n", "EDL line 2")]
    [InlineData("10 5 0\n", "EDL line 1")]
    [InlineData("1 10 0\n\n5 20 3\n", "EDL line 3")]
    [InlineData("20 30 0\n1 5 0\n", "EDL line 2")]
    [InlineData("NaN 4 0\n", "EDL line 1")]
    [InlineData("1 2 0\nInfinity 5 0\n", "EDL line 2")]
    [InlineData("1 Infinity 0\n", "EDL line 1")]
    public void Parse_NamesTheLineItRefuses(string edl, string says) =>
        Assert.Contains(says, Assert.Throws<FormatException>(() => EditDecisionList.Parse(edl)).Message, StringComparison.Ordinal);
}
