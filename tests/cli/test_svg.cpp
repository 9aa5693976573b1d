// The figures: every one has a title and both axis labels, and nothing drawn in the
// plot area reaches outside it (the clip path is a safety net, not the layout).
// Checked on hand-made plots and on every figure of the tiny paper report.
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest-spi.h>

#include "support/reference.hpp"
#include "studies/studies.hpp"
#include "studies/svg.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lambdahat::cli;

using Attributes = std::map<std::string, std::string>;

// One element of an SVG file: its name, attributes and, for <text>, its text.
struct Element {
  std::string name;
  Attributes attributes;
  std::string text;
  double number(const std::string& key) const { return std::stod(attributes.at(key)); }
  bool has(const std::string& key) const { return attributes.count(key) > 0; }
};

// The elements of `svg` between `from` and `to` (byte offsets), in order. The files
// are lambdahat's own: attributes always in double quotes, no nested text markup.
std::vector<Element> elements(const std::string& svg, std::size_t from = 0, std::size_t to = std::string::npos) {
  std::vector<Element> found;
  to = std::min(to, svg.size());
  for (std::size_t at = svg.find('<', from); at < to; at = svg.find('<', at + 1)) {
    if (svg[at + 1] == '/' || svg[at + 1] == '!') continue;
    const std::size_t close = svg.find('>', at);
    const std::string tag = svg.substr(at + 1, close - at - 1);
    Element e;
    std::size_t i = tag.find_first_of(" /");
    e.name = tag.substr(0, i);
    while (i != std::string::npos && (i = tag.find('=', i)) != std::string::npos) {
      std::size_t key_start = tag.rfind(' ', i) + 1;
      const std::size_t value_start = i + 2, value_end = tag.find('"', value_start);
      e.attributes[tag.substr(key_start, i - key_start)] = tag.substr(value_start, value_end - value_start);
      i = value_end + 1;
    }
    if (e.name == "text") e.text = svg.substr(close + 1, svg.find("</text>", close) - close - 1);
    found.push_back(std::move(e));
  }
  return found;
}

// The texts of the <text> elements, in order.
std::vector<std::string> texts(const std::string& svg) {
  std::vector<std::string> found;
  for (const Element& e : elements(svg))
    if (e.name == "text") found.push_back(e.text);
  return found;
}

// A figure's checks; `what` names it in failure messages.
void check_figure(const std::string& svg, const std::string& what) {
  const std::vector<Element> all = elements(svg);
  ASSERT_FALSE(all.empty()) << what;
  const double height = all.front().number("height");
  // the title (bold) and the axis labels: the y label rotated, the x label below the plot
  bool title = false, y_label = false, x_label = false;
  const Element* frame = nullptr;
  for (const Element& e : all) {
    if (e.name == "text" && e.has("font-weight") && !e.text.empty()) title = true;
    if (e.name == "text" && e.has("transform") && e.attributes.at("transform").find("rotate(-90)") != std::string::npos &&
        !e.text.empty())
      y_label = true;
    if (!frame && e.name == "rect" && e.has("fill") && e.attributes.at("fill") == "none") frame = &e;
  }
  EXPECT_TRUE(title) << what << ": no title";
  EXPECT_TRUE(y_label) << what << ": no y-axis label";
  ASSERT_NE(frame, nullptr) << what << ": no plot area";
  const double left = frame->number("x"), top = frame->number("y"), right = left + frame->number("width"),
               bottom = top + frame->number("height");
  for (const Element& e : all)
    if (e.name == "text" && e.has("y") && e.number("y") > bottom + 20 && e.number("y") <= height && !e.text.empty())
      x_label = true;
  EXPECT_TRUE(x_label) << what << ": no x-axis label";
  // everything drawn inside the clip group lies within the plot area (half a pixel of
  // slack for rounding)
  const std::size_t begin = svg.find("<g clip-path=\"url(#plot)\">");
  ASSERT_NE(begin, std::string::npos) << what;
  const auto inside_x = [&](double x) { return x >= left - 0.5 && x <= right + 0.5; };
  const auto inside_y = [&](double y) { return y >= top - 0.5 && y <= bottom + 0.5; };
  for (const Element& e : elements(svg, begin + 1, svg.find("</g>", begin))) {
    const std::string where = what + ": <" + e.name + "> " + (e.text.empty() ? "" : e.text);
    if (e.name == "rect") {
      EXPECT_TRUE(inside_x(e.number("x")) && inside_x(e.number("x") + e.number("width"))) << where;
      EXPECT_TRUE(inside_y(e.number("y")) && inside_y(e.number("y") + e.number("height"))) << where;
    } else if (e.name == "circle") {
      EXPECT_TRUE(inside_x(e.number("cx")) && inside_y(e.number("cy"))) << where;
    } else if (e.name == "line") {
      EXPECT_TRUE(inside_x(e.number("x1")) && inside_x(e.number("x2"))) << where;
      EXPECT_TRUE(inside_y(e.number("y1")) && inside_y(e.number("y2"))) << where;
    } else if (e.name == "text") {
      EXPECT_TRUE(inside_x(e.number("x")) && inside_y(e.number("y"))) << where;
    } else if (e.name == "polyline") {
      std::stringstream points(e.attributes.at("points"));
      for (std::string pair; points >> pair;) {
        const std::size_t comma = pair.find(',');
        EXPECT_TRUE(inside_x(std::stod(pair.substr(0, comma))) && inside_y(std::stod(pair.substr(comma + 1))))
            << where << " " << pair;
      }
    }
  }
}

// The check itself catches what it is for: a bar past the right edge of the axes.
TEST(Figures, CheckCatchesAnElementOutsideThePlot) {
  Plot plot("histogram", "x", "y");
  plot.add({"runs", {1, 2, 3}, {2, 7, 4}, {}, Series::Style::bars, ""});
  std::string svg = plot.svg();
  const std::size_t clip = svg.find("<g clip-path=\"url(#plot)\">") + 26;
  svg.insert(clip, "\n<rect x=\"600\" y=\"100\" width=\"50\" height=\"20\" fill=\"red\"/>");
  EXPECT_NONFATAL_FAILURE(check_figure(svg, "bad"), "bad: <rect>");
}

TEST(Figures, TickLabelsAreRoundSteps) {
  Plot plot("ticks", "x", "y");
  plot.add({"a", {0, 1, 2}, {-40.8, -40.1, -39.8}, {}, Series::Style::markers, ""});
  const std::vector<std::string> labels = texts(plot.svg());
  // steps of 1, 2 or 5 times a power of ten, printed with the step's decimals and a
  // true minus sign: −40.5, −40.0 (not −40.8, −40.5, −40.2, −40 from steps of 0.25
  // rounded to three digits)
  for (const char* label : {"\u221240.5", "\u221240.0", "0", "0.5", "1.0", "1.5", "2.0"})
    EXPECT_NE(std::find(labels.begin(), labels.end(), label), labels.end()) << label;
  for (const char* wrong : {"-40.5", "\u221240", "\u221240.2", "\u221240.8", "1"})
    EXPECT_EQ(std::find(labels.begin(), labels.end(), wrong), labels.end()) << wrong;
  check_figure(plot.svg(), "ticks");
}

TEST(Figures, BarsStayInsideTheAxes) {
  Plot plot("histogram", "Δλ̂", "runs");
  plot.add({"runs", {-3, -1, 1, 3, 5}, {2, 7, 4, 1, 3}, {}, Series::Style::bars, ""});
  check_figure(plot.svg(), "histogram");
}

TEST(Figures, EmptyChartSaysNoData) {
  Plot plot("nothing yet", "x", "y");
  plot.add({"a", {}, {}, {}, Series::Style::markers, ""});
  const std::vector<std::string> labels = texts(plot.svg());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "no data"), labels.end());
  check_figure(plot.svg(), "empty");
}

TEST(Figures, MarkLabelsClearTheLegend) {
  Plot plot("marks", "step", "λ̂");
  plot.add({"λ̂ (sd over chains)", {0, 10, 20, 30}, {1, 2, 3, 2}, {}, Series::Style::line_markers, ""});
  plot.mark_x(29, "t_val");
  const std::string svg = plot.svg();
  // the mark's label sits at the foot of its line; the legend stays in the top 40 px
  bool found = false;
  for (const Element& e : elements(svg))
    if (e.name == "text" && e.text == "t_val") {
      found = true;
      EXPECT_GT(e.number("y"), 300);
    }
  EXPECT_TRUE(found);
  check_figure(svg, "marks");
}

TEST(Figures, EveryFigureOfTheReport) {
  std::string root = (fs::temp_directory_path() / "lambdahat_figures_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  PaperOptions o;
  o.out = root;
  o.tiny = true;
  const std::string index = run_paper(o);
  std::ifstream in(index);
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(html.find("<h2>Summary</h2>"), std::string::npos);
  EXPECT_NE(html.find("Smoke-test settings"), std::string::npos);
  EXPECT_NE(html.find("Theory λ (m): the exact learning coefficient λ and its multiplicity m"), std::string::npos);
  int figures = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".svg") continue;
    std::ifstream f(e.path());
    check_figure(std::string((std::istreambuf_iterator<char>(f)), {}), e.path().filename().string());
    ++figures;
  }
  EXPECT_GE(figures, 9);
  fs::remove_all(root);
}

}  // namespace
