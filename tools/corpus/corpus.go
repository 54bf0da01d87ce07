// Package corpus ships the offline knowledge the built-in search tool
// searches: facts about the 50 US states and DC from the 2020 Census
// (see README.md in this folder for source and licence), as structured
// records and as short encyclopedia-style passages.
package corpus

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ponder-go/ponder/retrieval"
)

//go:embed states.csv
var statesCSV []byte

// State is one row of states.csv.
type State struct {
	Name, Abbr, Capital, Region, Division string
	Population, CapitalPopulation         int
	LandArea, WaterArea, TotalArea        float64 // square miles
	Admitted                              time.Time
	ElectoralVotes, PeakElevationFt       int
	IncomePerCapita                       int     // 2022 USD
	LifeExpectancy, HomicideRate          float64 // years (2021); per 100,000 (2022)
	BachelorsShare, FrostDays             float64 // share of 25+ (2022); days a year (1991-2020)
	Landlocked, Contiguous                bool
}

// Density is people per square mile of land.
func (s State) Density() float64 { return float64(s.Population) / s.LandArea }

var (
	once   sync.Once
	states []State
	err    error
)

// States returns the 51 records (50 states and DC), in file order.
func States() ([]State, error) {
	once.Do(func() { states, err = parse(statesCSV) })
	return states, err
}

func parse(data []byte) ([]State, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("corpus: states.csv: %w", err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("corpus: states.csv has no rows")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	need := []string{"state", "abb", "population_2020", "capital", "capital_population_2020", "area_land_sq_mi", "area_water_sq_mi", "area_total_sq_mi", "region", "division", "admission_date", "electoral_votes_2024", "peak_elev_ft",
		"income_per_capita_2022_usd", "life_expectancy_2021", "homicide_rate_per_100k_2022", "bachelors_share_25plus_2022", "frost_days_1991_2020", "landlocked", "contiguous"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("corpus: states.csv lacks column %q", n)
		}
	}
	var out []State
	for li, r := range rows[1:] {
		line := li + 2
		var e error
		atoi := func(name string) int {
			v, err := strconv.Atoi(r[col[name]])
			if err != nil && e == nil {
				e = fmt.Errorf("corpus: states.csv line %d column %s: %w", line, name, err)
			}
			return v
		}
		atof := func(name string) float64 {
			v, err := strconv.ParseFloat(r[col[name]], 64)
			if err != nil && e == nil {
				e = fmt.Errorf("corpus: states.csv line %d column %s: %w", line, name, err)
			}
			return v
		}
		s := State{
			Name: r[col["state"]], Abbr: r[col["abb"]], Capital: r[col["capital"]],
			Region: r[col["region"]], Division: r[col["division"]],
			Population: atoi("population_2020"), CapitalPopulation: atoi("capital_population_2020"),
			LandArea: atof("area_land_sq_mi"), WaterArea: atof("area_water_sq_mi"), TotalArea: atof("area_total_sq_mi"),
			ElectoralVotes: atoi("electoral_votes_2024"), PeakElevationFt: atoi("peak_elev_ft"),
			IncomePerCapita: atoi("income_per_capita_2022_usd"), LifeExpectancy: atof("life_expectancy_2021"),
			HomicideRate: atof("homicide_rate_per_100k_2022"), BachelorsShare: atof("bachelors_share_25plus_2022"),
			FrostDays:  atof("frost_days_1991_2020"),
			Landlocked: r[col["landlocked"]] == "TRUE", Contiguous: r[col["contiguous"]] == "TRUE",
		}
		s.Admitted, err = time.Parse("2006-01-02", r[col["admission_date"]])
		if err != nil && e == nil {
			e = fmt.Errorf("corpus: states.csv line %d column admission_date: %w", line, err)
		}
		if e != nil {
			return nil, e
		}
		out = append(out, s)
	}
	return out, nil
}

// Passages returns the search corpus: for each state an overview, a
// population passage, an area passage, an economy and education passage,
// and a climate and health passage.
func Passages() ([]retrieval.Document, error) {
	ss, err := States()
	if err != nil {
		return nil, err
	}
	var docs []retrieval.Document
	for _, s := range ss {
		docs = append(docs, StatePassages(s)...)
	}
	return docs, nil
}

// StatePassages renders one state's passages. The same wording serves any
// place with the same facts (the synthetic training world uses it too).
func StatePassages(s State) []retrieval.Document {
	id := strings.ToLower(strings.ReplaceAll(s.Name, " ", "-"))
	kind := "a state in the " + s.Region + " region of the United States (" + s.Division + " division)"
	admitted := "It was admitted to the Union on " + s.Admitted.Format("January 2, 2006") + "."
	if s.Name == "District of Columbia" {
		kind = "the federal district and capital of the United States, in the " + s.Region + " region"
		admitted = "It was established on " + s.Admitted.Format("January 2, 2006") + "."
	}
	meta := map[string]string{"state": s.Name, "source": "us-states/states.csv (2020 Census; CC BY 4.0)"}
	doc := func(suffix, title, text string) retrieval.Document {
		m := map[string]string{"topic": suffix}
		for k, v := range meta {
			m[k] = v
		}
		return retrieval.Document{ID: id + "/" + suffix, Title: title, Text: text, Source: "us-states", Metadata: m}
	}
	return []retrieval.Document{
		doc("overview", s.Name, fmt.Sprintf("%s (%s) is %s. Its capital is %s, with %s residents in 2020. %s %s has %d electoral votes, and its highest point is %s feet above sea level.",
			s.Name, s.Abbr, kind, s.Capital, Group(float64(s.CapitalPopulation), 0), admitted, s.Name, s.ElectoralVotes, Group(float64(s.PeakElevationFt), 0))),
		// The figure comes first and is the passage's only large number: a
		// reader (or a small model) copying "the number after 'population
		// of'" gets it right.
		doc("population", s.Name+" population", fmt.Sprintf("%s had a population of %s at the 2020 United States census.",
			s.Name, Group(float64(s.Population), 0))),
		doc("area", s.Name+" area", fmt.Sprintf("%s has a total area of %s square miles. %s has a land area of %s square miles and a water area of %s square miles.",
			s.Name, Group(s.TotalArea, 2), s.Name, Group(s.LandArea, 2), Group(s.WaterArea, 2))),
		doc("economy", s.Name+" economy and education", fmt.Sprintf("In 2022 the per capita income in %s was $%s, and %.1f%% of its residents aged 25 and over held a bachelor's degree or higher.",
			s.Name, Group(float64(s.IncomePerCapita), 0), 100*s.BachelorsShare)),
		doc("climate", s.Name+" climate and health", fmt.Sprintf("%s averages %.0f days a year with frost (1991-2020 normals). Life expectancy at birth there was %.1f years in 2021, and the homicide rate was %.2f per 100,000 residents in 2022. %s",
			s.Name, s.FrostDays, s.LifeExpectancy, s.HomicideRate, geography(s))),
	}
}

func geography(s State) string {
	switch {
	case !s.Contiguous:
		return s.Name + " is not part of the contiguous United States."
	case s.Landlocked:
		return s.Name + " is landlocked."
	}
	return s.Name + " has a coastline."
}

// Group formats v with thousands separators and the given decimals,
// trailing zeros of the fraction dropped: Group(39538223, 0) = "39,538,223",
// Group(155856.50, 2) = "155,856.5".
func Group(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
