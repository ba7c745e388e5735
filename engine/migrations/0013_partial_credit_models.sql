-- The partial credit models join the IRT models a calibration or an equating run may name:
-- GPCM (Muraki's generalized partial credit model, a slope per item) and PCM (Masters'
-- partial credit model: slope 1, the SD of θ estimated, stored in latent_sd as for Rasch).
-- Their items keep their step difficulties in item_parameters.thresholds; the run's model
-- says whether those numbers are graded-response boundaries or partial-credit steps.
ALTER TABLE calibration_runs DROP CONSTRAINT IF EXISTS calibration_runs_model_check;
ALTER TABLE calibration_runs ADD CONSTRAINT calibration_runs_model_check
    CHECK (model IN ('Rasch', '1PL', '2PL', '3PL', 'GRM', 'GPCM', 'PCM'));

ALTER TABLE equating_runs DROP CONSTRAINT IF EXISTS equating_runs_model_check;
ALTER TABLE equating_runs ADD CONSTRAINT equating_runs_model_check
    CHECK (model IN ('Rasch', '1PL', '2PL', '3PL', 'GRM', 'GPCM', 'PCM'));
