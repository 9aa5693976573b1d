// The figures: every one has a title and both axis labels, and nothing drawn in the
// plot area reaches outside it (the clip path is a safety net, not the layout).
// Checked on hand-made plots and on every figure of the tiny paper report.
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "support/reference.hpp"
#include "studies/studies.hpp"
#include "studies/svg.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lambdahat::cli;

using Attributes = std::map<std::string, std::string>;

Attributes attributes(const std::string& tag) {
  static const std::regex attribute(R"re(([\w-]+)="([^"]*)")re");
  Attributes a;
  for (std::sregex_iterator it(tag.begin(), tag.end(), attribute), end; it != end; ++it) a[(*it)[1]] = (*it)[2];
  return a;
}

double value(const Attributes& a, const std::string& key) { return std::stod(a.at(key)); }

// The texts of the <text> elements, in order.
std::vector<std::string> texts(const std::string& svg) {
  static const std::regex text("<text[^>]*>([^<]*)</text>");
  std::vector<std::string> found;
  for (std::sregex_iterator it(svg.begin(), svg.end(), text), end; it != end; ++it) found.push_back((*it)[1]);
  return found;
}

// A figure's checks; `what` names it in failure messages.
void check_figure(const std::string& svg, const std::string& what) {
  // the title (bold) and the axis labels: the x label below the plot, the y label rotated
  static const std::regex title(R"(<text[^>]*font-weight="bold">([^<]+)</text>)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, title)) << what << ": no title";
  static const std::regex y_label(R"re(<text transform="translate\([^)]*\) rotate\(-90\)"[^>]*>([^<]+)</text>)re");
  EXPECT_TRUE(std::regex_search(svg, m, y_label)) << what << ": no y-axis label";
  // the plot area: the first unfilled rectangle
  static const std::regex frame(R"re(<rect x="[^"]*" y="[^"]*" width="[^"]*" height="[^"]*" fill="none"[^>]*>)re");
  ASSERT_TRUE(std::regex_search(svg, m, frame)) << what << ": no plot area";
  const Attributes f = attributes(m.str());
  const double left = value(f, "x"), top = value(f, "y"), right = left + value(f, "width"),
               bottom = top + value(f, "height");
  const Attributes root = attributes(svg.substr(0, svg.find('>')));
  const double height = value(root, "height");
  bool x_label = false;
  static const std::regex any_text(R"(<text[^>]*>[^<]+</text>)");
  for (std::sregex_iterator it(svg.begin(), svg.end(), any_text), end; it != end; ++it) {
    const Attributes a = attributes(it->str());
    if (a.count("y") && value(a, "y") > bottom + 20 && value(a, "y") <= height) x_label = true;
  }
  EXPECT_TRUE(x_label) << what << ": no x-axis label";
  // everything drawn inside the clip group lies within the plot area (half a pixel of
  // slack for rounding)
  const std::size_t begin = svg.find("<g clip-path=\"url(#plot)\">"), end = svg.find("</g>", begin);
  ASSERT_NE(begin, std::string::npos) << what;
  const std::string body = svg.substr(begin, end - begin);
  const auto inside_x = [&](double x) { return x >= left - 0.5 && x <= right + 0.5; };
  const auto inside_y = [&](double y) { return y >= top - 0.5 && y <= bottom + 0.5; };
  static const std::regex element(R"(<(rect|circle|line|polyline|text)\b[^>]*>)");
  for (std::sregex_iterator it(body.begin(), body.end(), element), stop; it != stop; ++it) {
    const std::string tag = (*it)[1], text = it->str();
    const Attributes a = attributes(text);
    if (tag == "rect") {
      EXPECT_TRUE(inside_x(value(a, "x")) && inside_x(value(a, "x") + value(a, "width"))) << what << ": " << text;
      EXPECT_TRUE(inside_y(value(a, "y")) && inside_y(value(a, "y") + value(a, "height"))) << what << ": " << text;
    } else if (tag == "circle") {
      EXPECT_TRUE(inside_x(value(a, "cx")) && inside_y(value(a, "cy"))) << what << ": " << text;
    } else if (tag == "line") {
      EXPECT_TRUE(inside_x(value(a, "x1")) && inside_x(value(a, "x2"))) << what << ": " << text;
      EXPECT_TRUE(inside_y(value(a, "y1")) && inside_y(value(a, "y2"))) << what << ": " << text;
    } else if (tag == "text") {
      EXPECT_TRUE(inside_x(value(a, "x")) && inside_y(value(a, "y"))) << what << ": " << text;
    } else {
      std::stringstream points(a.at("points"));
      for (std::string pair; points >> pair;) {
        const std::size_t comma = pair.find(',');
        EXPECT_TRUE(inside_x(std::stod(pair.substr(0, comma))) && inside_y(std::stod(pair.substr(comma + 1))))
            << what << ": " << pair;
      }
    }
  }
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
  static const std::regex label(R"re(<text x="([^"]*)" y="([^"]*)"[^>]*>t_val</text>)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, label));
  EXPECT_GT(std::stod(m[2]), 300);
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
